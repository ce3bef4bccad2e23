namespace DuckEmbed.Processor.Pipeline;

/// <summary>What windows add to the run's totals once committed; a sum of windows is one tally.</summary>
internal readonly record struct WindowTally(long Rows, long NullTexts, long Tokens, long TruncatedTexts, long ReusedVectors, long Replaced = 0)
{
    /// <summary>
    /// Rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> of <paramref name="window"/>;
    /// the window's own counts (tokens, texts cut, vectors reused) go with its last part.
    /// </summary>
    public static WindowTally Of(RowWindow window, int start, int count)
    {
        long nullTexts = 0, replaced = 0;
        for (var i = start; i < start + count; i++)
        {
            nullTexts += window.Texts[i] is null ? 1 : 0;
            replaced += window.Replaces[i] ? 1 : 0;
        }
        return start + count == window.Count
            ? new(count, nullTexts, window.Tokens, window.TruncatedTexts, window.ReusedVectors, replaced)
            : new(count, nullTexts, 0, 0, 0, replaced);
    }

    public static WindowTally operator +(WindowTally a, WindowTally b) => new(a.Rows + b.Rows, a.NullTexts + b.NullTexts,
        a.Tokens + b.Tokens, a.TruncatedTexts + b.TruncatedTexts, a.ReusedVectors + b.ReusedVectors, a.Replaced + b.Replaced);
}
