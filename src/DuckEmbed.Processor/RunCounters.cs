namespace DuckEmbed.Processor;

/// <summary>The run's tallies, written by the writer stage; the vectors' length from the embedding stage's check.</summary>
internal sealed class RunCounters(long rowsPresent, long rowsAtEnd, long inputRows, VectorCheck vectors)
{
    private long _written;
    private long _appended;
    private long _nullTexts;
    private long _tokens;
    private long _truncated;
    private long _reused;

    /// <summary>Rows appended to the output, committed or about to be (what progress counts).</summary>
    public void Appended(int rows) => _appended += rows;

    public void Committed(WindowTally windows)
    {
        _written += windows.Rows;
        _nullTexts += windows.NullTexts;
        _tokens += windows.Tokens;
        _truncated += windows.TruncatedTexts;
        _reused += windows.ReusedVectors;
    }

    public EmbeddingProgress Progress(TimeSpan elapsed) => new(rowsPresent + _appended, rowsAtEnd, _appended, elapsed);

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
