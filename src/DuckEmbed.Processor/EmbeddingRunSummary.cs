namespace DuckEmbed.Processor;

/// <summary>What a finished run did.</summary>
public sealed record EmbeddingRunSummary
{
    /// <summary>Rows in the input table.</summary>
    public required long InputRows { get; init; }

    /// <summary>Rows already in the output when the run started (an earlier run's work, resumed after).</summary>
    public required long RowsAlreadyPresent { get; init; }

    /// <summary>Rows this run wrote.</summary>
    public required long RowsWritten { get; init; }

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
