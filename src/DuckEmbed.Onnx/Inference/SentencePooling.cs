using System.Numerics.Tensors;

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
                    TensorPrimitives.Max(embedding, hidden.Slice(token * hiddenDimensions, dimensions), embedding);
                }
                break;
            case PoolingMode.Mean:
                embedding.Clear();
                for (var token = 0; token < tokenCount; token++)
                {
                    TensorPrimitives.Add(embedding, hidden.Slice(token * hiddenDimensions, dimensions), embedding);
                }
                // The mean's divisor cancels in the normalisation; it is kept so that the clamps below mean what
                // sentence-transformers' do (count ≥ 1e-9, norm ≥ 1e-12).
                TensorPrimitives.Multiply(embedding, 1f / Math.Max(tokenCount, 1e-9f), embedding);
                break;
            default:
                // A mode this code does not know is refused, never pooled as some other one.
                throw new InvalidOperationException($"No pooling is defined for the mode {Mode}.");
        }
        Normalize(embedding);
    }

    private static void Normalize(Span<float> embedding) =>
        TensorPrimitives.Multiply(embedding, 1f / Math.Max(TensorPrimitives.Norm<float>(embedding), 1e-12f), embedding);
}
