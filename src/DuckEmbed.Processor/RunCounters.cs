namespace DuckEmbed.Processor;

/// <summary>The run's tallies; written by the writer stage, dimensions checked by the embedding stage.</summary>
internal sealed class RunCounters(long rowsPresent, long rowsAtEnd, long inputRows)
{
    private int _dimensions;
    private long _written;
    private long _nullTexts;
    private long _tokens;
    private long _truncated;
    private long _reused;

    public void CheckDimensions(int length)
    {
        var first = Interlocked.CompareExchange(ref _dimensions, length, 0);
        if (length == 0 || (first != 0 && first != length))
        {
            throw new InvalidOperationException($"The embedding generator returned a vector of {length} floats after vectors of {first}.");
        }
    }

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
        Dimensions = _dimensions,
        Elapsed = elapsed,
    };
}
