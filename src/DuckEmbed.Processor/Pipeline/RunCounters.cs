namespace DuckEmbed.Processor.Pipeline;

/// <summary>
/// The run's tallies, written by the writer stage, and the stage it is in; the vectors' length from the embedding
/// stage's check. Not thread-safe: the stages change it under a lock.
/// </summary>
internal sealed class RunCounters(long rowsPresent, long rowsAtEnd, long inputRows, VectorCheck vectors)
{
    /// <summary>Rows a sync deleted before the run, their ids gone from the input.</summary>
    public long Deleted { get; init; }

    private bool _firstWindowRead;
    private int _writersCommitting;
    private bool _checkpoint;

    // What progress counts (rows written, committed or about to be) and what the summary counts (rows committed).
    private WindowTally _appended;
    private WindowTally _committed;

    /// <summary>A window appended to the output, committed or about to be.</summary>
    public void Appended(RowWindow window) => _appended += WindowTally.Of(window, 0, window.Count);

    public void Committed(WindowTally windows) => _committed += windows;

    /// <summary>The reader has passed on its first window (or found none): the input is no longer what the run waits on.</summary>
    public void FirstWindowRead() => _firstWindowRead = true;

    public void Committing(bool starts) => _writersCommitting += starts ? 1 : -1;

    public void Checkpointing() => _checkpoint = true;

    private EmbeddingStage Stage => _checkpoint ? EmbeddingStage.Checkpoint
        : _writersCommitting > 0 ? EmbeddingStage.Committing
        : _firstWindowRead ? EmbeddingStage.Embedding
        : EmbeddingStage.Reading;

    public EmbeddingProgress Progress(TimeSpan elapsed) => new(rowsPresent + _appended.Rows, rowsAtEnd, _appended.Rows, elapsed)
    {
        Stage = Stage,
        Tokens = _appended.Tokens,
        ReusedVectors = _appended.ReusedVectors,
    };

    public EmbeddingRunSummary Summary(TimeSpan elapsed) => new()
    {
        InputRows = inputRows,
        RowsAlreadyPresent = rowsPresent,
        RowsWritten = _committed.Rows,
        RowsReplaced = _committed.Replaced,
        RowsDeleted = Deleted,
        NullTexts = _committed.NullTexts,
        TruncatedTexts = _committed.TruncatedTexts,
        ReusedVectors = _committed.ReusedVectors,
        Tokens = _committed.Tokens,
        Dimensions = vectors.Dimensions,
        Elapsed = elapsed,
    };
}
