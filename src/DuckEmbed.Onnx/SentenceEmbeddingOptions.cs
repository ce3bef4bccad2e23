namespace DuckEmbed.Onnx;

/// <summary>Settings of a <see cref="SentenceEmbeddingGenerator"/>.</summary>
public sealed record SentenceEmbeddingOptions
{
    /// <summary>Default of <see cref="MaxBatchTokens"/>.</summary>
    public const int DefaultMaxBatchTokens = 16_384;

    /// <summary>Most texts in one inference run (the user's <c>BATCH_SIZE</c>).</summary>
    public int MaxBatchSize { get; init; } = 32;

    /// <summary>
    /// Most token cells (texts × padded length) in one inference run. Batches of long texts get fewer texts, so
    /// memory per run stays even (on a GPU: no out-of-memory on the long tail); short texts still fill
    /// <see cref="MaxBatchSize"/>.
    /// </summary>
    public int MaxBatchTokens { get; init; } = DefaultMaxBatchTokens;

    /// <summary>Most tokens a text becomes, <c>[CLS]</c> and <c>[SEP]</c> included (sentence-transformers' max_seq_length).</summary>
    public int MaxSequenceLength { get; init; } = 256;

    /// <summary>The number format the model runs in.</summary>
    public ModelPrecision Precision { get; init; } = ModelPrecision.Fp32;

    /// <summary>Where to run the model.</summary>
    public ExecutionDevice Device { get; init; } = ExecutionDevice.Cpu;

    /// <summary>Threads ONNX Runtime uses inside one operator on the CPU; <c>null</c> for one per core.</summary>
    public int? IntraOpThreads { get; init; }
}
