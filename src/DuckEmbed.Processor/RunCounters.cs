namespace DuckEmbed.Processor;

/// <summary>The run's tallies, written by the writer stage; the vectors' length from the embedding stage's check.</summary>
internal sealed class RunCounters(long rowsPresent, long rowsAtEnd, long inputRows, VectorCheck vectors)
{
    // What progress counts (rows written, committed or about to be) and what the summary counts (rows committed).
    private WindowTally _appended;
    private WindowTally _committed;

    /// <summary>A window appended to the output, committed or about to be.</summary>
    public void Appended(RowWindow window) => _appended += WindowTally.Of(window, 0, window.Count);

    public void Committed(WindowTally windows) => _committed += windows;

    public EmbeddingProgress Progress(TimeSpan elapsed) => new(rowsPresent + _appended.Rows, rowsAtEnd, _appended.Rows, elapsed)
    {
        Tokens = _appended.Tokens,
        ReusedVectors = _appended.ReusedVectors,
    };

    public EmbeddingRunSummary Summary(TimeSpan elapsed) => new()
    {
        InputRows = inputRows,
        RowsAlreadyPresent = rowsPresent,
        RowsWritten = _committed.Rows,
        NullTexts = _committed.NullTexts,
        TruncatedTexts = _committed.TruncatedTexts,
        ReusedVectors = _committed.ReusedVectors,
        Tokens = _committed.Tokens,
        Dimensions = vectors.Dimensions,
        Elapsed = elapsed,
    };
}
