namespace DuckEmbed.Processor;

/// <summary>What windows add to the run's totals once committed; a sum of windows is one tally.</summary>
internal readonly record struct WindowTally(long Rows, long NullTexts, long Tokens, long TruncatedTexts, long ReusedVectors)
{
    public static WindowTally Of(RowWindow window)
    {
        long nullTexts = 0;
        for (var i = 0; i < window.Count; i++)
        {
            nullTexts += window.Texts[i] is null ? 1 : 0;
        }
        return new(window.Count, nullTexts, window.Tokens, window.TruncatedTexts, window.ReusedVectors);
    }

    public static WindowTally operator +(WindowTally a, WindowTally b) => new(a.Rows + b.Rows, a.NullTexts + b.NullTexts,
        a.Tokens + b.Tokens, a.TruncatedTexts + b.TruncatedTexts, a.ReusedVectors + b.ReusedVectors);
}
