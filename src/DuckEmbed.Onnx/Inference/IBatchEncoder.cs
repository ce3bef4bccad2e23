using DuckEmbed.Onnx.Tokenization;

namespace DuckEmbed.Onnx.Inference;

/// <summary>Turns one batch of tokenized texts into unit-length embeddings, row i for text i.</summary>
/// <remarks>
/// A batch goes in two steps, so that the host's part of one batch happens while the device runs the one before
/// (<see cref="EncoderPool"/>): <see cref="Prepare"/> (the inputs written into buffers of the encoder's own; any
/// thread) and <see cref="Run"/> (the device's part). An encoder with nothing to prepare implements
/// <see cref="Encode"/> alone.
/// </remarks>
internal interface IBatchEncoder : IDisposable
{
    int Dimensions { get; }

    /// <summary>Embeds <paramref name="batch"/>; cancelling stops the device's work in flight, not only between batches.</summary>
    void Encode(IReadOnlyList<EncodedText> batch, Span<float> embeddings, CancellationToken cancellationToken);

    /// <summary>The host's part of <paramref name="batch"/>, done ahead of its <see cref="Run"/>; safe beside a run.</summary>
    PreparedBatch Prepare(IReadOnlyList<EncodedText> batch) => new(batch, null);

    /// <summary>Runs a batch <see cref="Prepare"/> made; it stays the caller's to dispose.</summary>
    void Run(PreparedBatch batch, Span<float> embeddings, CancellationToken cancellationToken) => Encode(batch.Texts, embeddings, cancellationToken);
}

/// <summary>A batch's texts and the inputs an encoder wrote for them (<see cref="IBatchEncoder.Prepare"/>).</summary>
internal sealed class PreparedBatch(IReadOnlyList<EncodedText> texts, IDisposable? inputs) : IDisposable
{
    public IReadOnlyList<EncodedText> Texts => texts;

    /// <summary>What the encoder that prepared the batch left for its run (native buffers: disposed with the batch).</summary>
    public IDisposable? Inputs => inputs;

    public void Dispose() => inputs?.Dispose();
}
