namespace DuckEmbed.Onnx;

/// <summary>
/// The setting a <see cref="ModelLoadException"/> is about, so that a program can name it in its own terms (a
/// config key, a flag).
/// </summary>
public enum ModelSetting
{
    /// <summary>No one setting.</summary>
    None,

    /// <summary>The model folder (<see cref="ModelSource.FromDirectory"/>) or the bundled model.</summary>
    ModelPath,

    /// <summary><see cref="SentenceEmbeddingOptions.Device"/>.</summary>
    Device,

    /// <summary><see cref="SentenceEmbeddingOptions.CudaDevices"/>.</summary>
    CudaDevices,

    /// <summary><see cref="SentenceEmbeddingOptions.Precision"/>.</summary>
    Precision,

    /// <summary><see cref="SentenceEmbeddingOptions.Prompt"/>.</summary>
    Prompt,

    /// <summary><see cref="SentenceEmbeddingOptions.TruncateDimensions"/>.</summary>
    TruncateDimensions,
}
