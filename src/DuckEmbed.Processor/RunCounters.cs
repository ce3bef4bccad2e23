namespace DuckEmbed.Processor;

/// <summary>The run's tallies, written by the writer stage; the vectors' length from the embedding stage's check.</summary>
internal sealed class RunCounters(long rowsPresent, long rowsAtEnd, long inputRows, VectorCheck vectors)
{
    private long _written;
    private WindowTally _appended;
    private long _nullTexts;
    private long _tokens;
    private long _truncated;
    private long _reused;

    /// <summary>A window appended to the output, committed or about to be (what progress counts).</summary>
    public void Appended(RowWindow window) => _appended += WindowTally.Of(window, 0, window.Count);

    public void Committed(WindowTally windows)
    {
        _written += windows.Rows;
        _nullTexts += windows.NullTexts;
        _tokens += windows.Tokens;
        _truncated += windows.TruncatedTexts;
        _reused += windows.ReusedVectors;
    }

    public EmbeddingProgress Progress(TimeSpan elapsed) => new(rowsPresent + _appended.Rows, rowsAtEnd, _appended.Rows, elapsed)
    {
        Tokens = _appended.Tokens,
        ReusedVectors = _appended.ReusedVectors,
    };

    public EmbeddingRunSummary Summary(TimeSpan elapsed) => new()
    {
        InputRows = inputRows,
        RowsAlreadyPresent = rowsPresent,
        RowsWritten = _written,
        NullTexts = _nullTexts,
        TruncatedTexts = _truncated,
        ReusedVectors = _reused,
        Tokens = _tokens,
        Dimensions = vectors.Dimensions,
        Elapsed = elapsed,
    };
}
