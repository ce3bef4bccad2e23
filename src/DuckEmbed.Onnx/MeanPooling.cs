namespace DuckEmbed.Onnx;

/// <summary>
/// sentence-transformers' mean pooling over the attention mask followed by L2 normalisation
/// (<c>encode(..., normalize_embeddings=True)</c>).
/// </summary>
internal static class MeanPooling
{
    /// <summary>
    /// Pools one sequence of <paramref name="hidden"/> (<c>[sequenceLength, dimensions]</c>, padding after the
    /// first <paramref name="tokenCount"/> rows) into <paramref name="embedding"/>, normalised to unit length.
    /// </summary>
    public static void PoolAndNormalize(ReadOnlySpan<float> hidden, int tokenCount, Span<float> embedding)
    {
        var dimensions = embedding.Length;
        embedding.Clear();
        for (var token = 0; token < tokenCount; token++)
        {
            var row = hidden.Slice(token * dimensions, dimensions);
            for (var d = 0; d < dimensions; d++)
            {
                embedding[d] += row[d];
            }
        }

        // The mean's divisor cancels in the normalisation; it is kept so that the clamps below mean what
        // sentence-transformers' do (count ≥ 1e-9, norm ≥ 1e-12).
        var scale = 1f / Math.Max(tokenCount, 1e-9f);
        double squares = 0;
        for (var d = 0; d < dimensions; d++)
        {
            embedding[d] *= scale;
            squares += (double)embedding[d] * embedding[d];
        }
        var inverseNorm = (float)(1.0 / Math.Max(Math.Sqrt(squares), 1e-12));
        for (var d = 0; d < dimensions; d++)
        {
            embedding[d] *= inverseNorm;
        }
    }
}
