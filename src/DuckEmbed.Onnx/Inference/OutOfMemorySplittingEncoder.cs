using DuckEmbed.Onnx.Tokenization;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace DuckEmbed.Onnx.Inference;

/// <summary>
/// Runs a batch, and when the device runs out of memory, runs its two halves instead (recursively, down to one
/// text), so a batch too large for the GPU costs time, never rows. The embeddings do not depend on how texts are
/// batched (each is pooled over its own tokens), so a split batch gives the same vectors.
/// </summary>
internal sealed class OutOfMemorySplittingEncoder(IBatchEncoder inner, ILogger logger) : IBatchEncoder
{
    public int Dimensions => inner.Dimensions;

    public void Encode(IReadOnlyList<EncodedText> batch, Span<float> embeddings, CancellationToken cancellationToken)
    {
        using var prepared = inner.Prepare(batch);
        Run(prepared, embeddings, cancellationToken);
    }

    public PreparedBatch Prepare(IReadOnlyList<EncodedText> batch) => inner.Prepare(batch);

    public void Run(PreparedBatch batch, Span<float> embeddings, CancellationToken cancellationToken)
    {
        try
        {
            inner.Run(batch, embeddings, cancellationToken);
        }
        catch (OnnxRuntimeException e) when (batch.Texts.Count > 1 && IsOutOfMemory(e))
        {
            var texts = batch.Texts;
            var half = texts.Count / 2;
            logger.BatchOutOfMemory(texts.Count, texts.Max(t => t.Ids.Length));
            Encode([.. texts.Take(half)], embeddings[..(half * Dimensions)], cancellationToken);
            Encode([.. texts.Skip(half)], embeddings[(half * Dimensions)..], cancellationToken);
        }
    }

    // ONNX Runtime reports allocation failures as a generic failure; the message says what it was (CUDA's
    // "out of memory", the arena's "Failed to allocate memory").
    internal static bool IsOutOfMemory(OnnxRuntimeException e) =>
        e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("failed to allocate", StringComparison.OrdinalIgnoreCase);

    public void Dispose() => inner.Dispose();
}
