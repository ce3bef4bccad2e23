namespace DuckEmbed.Processor;

/// <summary>What a finished run did.</summary>
public sealed record EmbeddingRunSummary
{
    /// <summary>Rows in the input table.</summary>
    public required long InputRows { get; init; }

    /// <summary>
    /// Rows already in the output when the run started (an earlier run's work, resumed after), and left as they were:
    /// for a sync, the rows whose ids and texts the input still has.
    /// </summary>
    public required long RowsAlreadyPresent { get; init; }

    /// <summary>Rows this run wrote (for a sync: new ids, and changed texts replacing their old rows).</summary>
    public required long RowsWritten { get; init; }

    /// <summary>Of <see cref="RowsWritten"/>, rows that replaced a stored row whose text had changed (a sync).</summary>
    public long RowsReplaced { get; init; }

    /// <summary>Of <see cref="RowsWritten"/>, rows of ids the output did not have.</summary>
    public long RowsAdded => RowsWritten - RowsReplaced;

    /// <summary>Rows deleted from the output because the input no longer has their ids (a sync).</summary>
    public long RowsDeleted { get; init; }

    /// <summary>Rows written with a NULL vector because their text was NULL.</summary>
    public required long NullTexts { get; init; }

    /// <summary>Texts the generator cut to its maximum length, where it reports that.</summary>
    public required long TruncatedTexts { get; init; }

    /// <summary>
    /// Rows whose text was byte for byte one embedded earlier in the run (in the same window, or among the recent
    /// texts remembered), so its vector was reused instead of embedded again.
    /// </summary>
    public long ReusedVectors { get; init; }

    /// <summary>Tokens the generator processed, where it reports them.</summary>
    public required long Tokens { get; init; }

    /// <summary>Length of every vector written.</summary>
    public required int Dimensions { get; init; }

    /// <summary>Wall time of this run.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Rows per second written by this run.</summary>
    public double RowsPerSecond => Elapsed.TotalSeconds > 0 ? RowsWritten / Elapsed.TotalSeconds : 0;

    /// <summary>Tokens per second processed by this run.</summary>
    public double TokensPerSecond => Elapsed.TotalSeconds > 0 ? Tokens / Elapsed.TotalSeconds : 0;
}
