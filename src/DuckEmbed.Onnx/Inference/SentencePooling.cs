using System.Numerics;
using System.Runtime.InteropServices;

namespace DuckEmbed.Onnx.Inference;

/// <summary>
/// sentence-transformers' pooling over one text's tokens, then (with <c>truncate_dim</c>) the cut to the first
/// dimensions, then L2 normalisation — <c>encode(..., normalize_embeddings=True, truncate_dim=k)</c>.
/// </summary>
internal sealed record SentencePooling(PoolingMode Mode, int? TruncateDimensions = null)
{
    /// <summary>
    /// Pools one sequence of <paramref name="hidden"/> (<c>[sequenceLength, hidden dimensions]</c>, padding after
    /// the first <paramref name="tokenCount"/> rows) into <paramref name="embedding"/>, normalised to unit length.
    /// <paramref name="embedding"/> is as long as the output: the hidden size, or the truncated one.
    /// </summary>
    public void PoolAndNormalize(ReadOnlySpan<float> hidden, int tokenCount, int hiddenDimensions, Span<float> embedding)
    {
        var dimensions = embedding.Length;
        switch (Mode)
        {
            case PoolingMode.Cls:
                hidden[..dimensions].CopyTo(embedding);
                break;
            case PoolingMode.Max:
                hidden[..dimensions].CopyTo(embedding);
                for (var token = 1; token < tokenCount; token++)
                {
                    var row = hidden.Slice(token * hiddenDimensions, dimensions);
                    for (var d = 0; d < dimensions; d++)
                    {
                        embedding[d] = Math.Max(embedding[d], row[d]);
                    }
                }
                break;
            case PoolingMode.Mean:
                embedding.Clear();
                for (var token = 0; token < tokenCount; token++)
                {
                    AddTo(embedding, hidden.Slice(token * hiddenDimensions, dimensions));
                }
                // The mean's divisor cancels in the normalisation; it is kept so that the clamps below mean what
                // sentence-transformers' do (count ≥ 1e-9, norm ≥ 1e-12).
                var scale = 1f / Math.Max(tokenCount, 1e-9f);
                for (var d = 0; d < dimensions; d++)
                {
                    embedding[d] *= scale;
                }
                break;
            default:
                // A mode this code does not know is refused, never pooled as some other one.
                throw new InvalidOperationException($"No pooling is defined for the mode {Mode}.");
        }
        Normalize(embedding);
    }

    // Summing the token rows is the pooling's whole cost for mean pooling (tokens × dimensions adds per text).
    private static void AddTo(Span<float> sum, ReadOnlySpan<float> row)
    {
        var d = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var sums = MemoryMarshal.Cast<float, Vector<float>>(sum);
            var rows = MemoryMarshal.Cast<float, Vector<float>>(row);
            for (var v = 0; v < sums.Length; v++)
            {
                sums[v] += rows[v];
            }
            d = sums.Length * Vector<float>.Count;
        }
        for (; d < sum.Length; d++)
        {
            sum[d] += row[d];
        }
    }

    private static void Normalize(Span<float> embedding)
    {
        var dimensions = embedding.Length;
        double squares = 0;
        for (var d = 0; d < dimensions; d++)
        {
            squares += (double)embedding[d] * embedding[d];
        }
        var inverseNorm = (float)(1.0 / Math.Max(Math.Sqrt(squares), 1e-12));
        for (var d = 0; d < dimensions; d++)
        {
            embedding[d] *= inverseNorm;
        }
    }
}
