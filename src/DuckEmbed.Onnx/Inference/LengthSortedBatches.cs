using DuckEmbed.Onnx.Tokenization;

namespace DuckEmbed.Onnx.Inference;

/// <summary>
/// Cuts texts into inference batches after sorting them by token count, so that each batch, padded to its own
/// longest text, wastes little on padding (sentence-transformers' <c>encode</c> sorts for the same reason). A
/// batch holds at most <c>maxBatchSize</c> texts and at most <c>maxBatchTokens</c> cells (texts × padded
/// length), so a batch of long texts stays as large in memory as a batch of short ones. With
/// <c>equalLengths</c> a batch holds texts of one token count only: no padding at all, and a length few texts have
/// makes a small batch of its own (BENCHMARKS.md, "Batches of one length in the product").
/// </summary>
internal static class LengthSortedBatches
{
    /// <summary>The indices of <paramref name="texts"/>, grouped into batches.</summary>
    public static IEnumerable<ArraySegment<int>> Plan(IReadOnlyList<EncodedText> texts, int maxBatchSize, int maxBatchTokens, bool equalLengths = false)
    {
        // Ordered by (length, index): stable, so which texts share a batch never depends on the sort's whims.
        var keys = new long[texts.Count];
        var order = new int[texts.Count];
        for (var i = 0; i < order.Length; i++)
        {
            keys[i] = ((long)texts[i].Ids.Length << 32) | (uint)i;
            order[i] = i;
        }
        Array.Sort(keys, order);

        var start = 0;
        for (var end = 0; end < order.Length; end++)
        {
            // Sorted ascending, so the text being added is the longest: it sets the padded length.
            var rows = end - start + 1;
            var length = texts[order[end]].Ids.Length;
            if (rows > maxBatchSize || (rows > 1 && (long)rows * length > maxBatchTokens)
                || (equalLengths && length != texts[order[start]].Ids.Length))
            {
                yield return new ArraySegment<int>(order, start, end - start);
                start = end;
            }
        }
        if (start < order.Length)
        {
            yield return new ArraySegment<int>(order, start, order.Length - start);
        }
    }
}
