namespace DuckEmbed.Processor;

/// <summary>The run's tallies, written by the writer stage; the vectors' length from the embedding stage's check.</summary>
internal sealed class RunCounters(long rowsPresent, long rowsAtEnd, long inputRows, VectorCheck vectors)
{
    private long _written;
    private long _nullTexts;
    private long _tokens;
    private long _truncated;
    private long _reused;

    public void Committed(RowWindow window)
    {
        _written += window.Count;
        _tokens += window.Tokens;
        _truncated += window.TruncatedTexts;
        _reused += window.ReusedVectors;
        for (var i = 0; i < window.Count; i++)
        {
            _nullTexts += window.Texts[i] is null ? 1 : 0;
        }
    }

    public EmbeddingProgress Progress(TimeSpan elapsed) => new(rowsPresent + _written, rowsAtEnd, _written, elapsed);

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
