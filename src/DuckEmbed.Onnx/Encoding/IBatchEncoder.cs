using DuckEmbed.Onnx.Tokenization;

namespace DuckEmbed.Onnx;

/// <summary>Turns one batch of tokenized texts into unit-length embeddings, row i for text i.</summary>
internal interface IBatchEncoder : IDisposable
{
    int Dimensions { get; }

    /// <summary>Embeds <paramref name="batch"/>; cancelling stops the device's work in flight, not only between batches.</summary>
    void Encode(IReadOnlyList<EncodedText> batch, Span<float> embeddings, CancellationToken cancellationToken);
}
