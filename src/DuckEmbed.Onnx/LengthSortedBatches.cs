using DuckEmbed.Onnx.Tokenization;

namespace DuckEmbed.Onnx;

/// <summary>
/// Cuts texts into inference batches after sorting them by token count, so that each batch, padded to its own
/// longest text, wastes little on padding (sentence-transformers' <c>encode</c> sorts for the same reason).
/// </summary>
internal static class LengthSortedBatches
{
    /// <summary>The indices of <paramref name="texts"/>, grouped into batches of at most <paramref name="maxBatchSize"/>.</summary>
    public static IEnumerable<ArraySegment<int>> Plan(IReadOnlyList<EncodedText> texts, int maxBatchSize)
    {
        // Ordered by (length, index): stable, so which texts share a batch never depends on the sort's whims.
        var keys = new long[texts.Count];
        var stable = new int[texts.Count];
        for (var i = 0; i < stable.Length; i++)
        {
            keys[i] = ((long)texts[i].Ids.Length << 32) | (uint)i;
            stable[i] = i;
        }
        Array.Sort(keys, stable);
        for (var start = 0; start < stable.Length; start += maxBatchSize)
        {
            yield return new ArraySegment<int>(stable, start, Math.Min(maxBatchSize, stable.Length - start));
        }
    }
}
