namespace DuckEmbed.Onnx;

/// <summary>Settings of a <see cref="SentenceEmbeddingGenerator"/>.</summary>
public sealed record SentenceEmbeddingOptions
{
    /// <summary>Default of <see cref="MaxBatchTokens"/> on the CPU.</summary>
    public const int DefaultMaxBatchTokens = 16_384;

    /// <summary>
    /// Default of <see cref="MaxBatchTokens"/> on CUDA: GPUs want large runs (<c>./check_benchmark.sh</c> measures
    /// it); 131,072 cells of MiniLM take ~1.7 GB of attention scores at 256 tokens, and a batch that does not fit is
    /// split rather than lost.
    /// </summary>
    public const int DefaultCudaMaxBatchTokens = 131_072;

    /// <summary>Default of <see cref="MaxBatchSize"/> on the CPU: throughput is flat from 16 to 64 once texts are sorted by length.</summary>
    public const int DefaultMaxBatchSize = 32;

    /// <summary>
    /// Default of <see cref="MaxBatchSize"/> on CUDA: at 32 a large GPU waits on kernel launches between runs; 256 fills
    /// it with short texts, and the token budget (<see cref="DefaultCudaMaxBatchTokens"/>) still bounds long ones.
    /// </summary>
    public const int DefaultCudaMaxBatchSize = 256;

    /// <summary>Most texts in one inference run (the user's <c>BATCH_SIZE</c>); <c>null</c> for the device's default.</summary>
    public int? MaxBatchSize { get; init; }

    /// <summary>The batch size on <paramref name="device"/>: <see cref="MaxBatchSize"/> or the device's default.</summary>
    public int MaxBatchSizeOn(ExecutionDevice device) =>
        MaxBatchSize ?? (device == ExecutionDevice.Cuda ? DefaultCudaMaxBatchSize : DefaultMaxBatchSize);

    /// <summary>
    /// Most token cells (texts × padded length) in one inference run. Batches of long texts get fewer texts, so
    /// memory per run stays even (on a GPU: no out-of-memory on the long tail); short texts still fill
    /// <see cref="MaxBatchSize"/>.
    /// </summary>
    /// <remarks><c>null</c>: the device's default (<see cref="DefaultMaxBatchTokens"/> on the CPU, <see cref="DefaultCudaMaxBatchTokens"/> on CUDA).</remarks>
    public int? MaxBatchTokens { get; init; }

    /// <summary>The token budget on <paramref name="device"/>: <see cref="MaxBatchTokens"/> or the device's default.</summary>
    public int MaxBatchTokensOn(ExecutionDevice device) =>
        MaxBatchTokens ?? (device == ExecutionDevice.Cuda ? DefaultCudaMaxBatchTokens : DefaultMaxBatchTokens);

    /// <summary>
    /// Batches of texts of one token count only (no padding), instead of padded length-sorted batches. On the CPU
    /// they measured 1.08 × padded batches' rate on corpus texts (BENCHMARKS.md, "Batches of one length in the
    /// product"); on CUDA, where a batch's size is what fills the GPU, padded batches stay the default.
    /// </summary>
    /// <remarks><c>null</c>: the device's default (on the CPU, off on CUDA).</remarks>
    public bool? EqualLengthBatches { get; init; }

    /// <summary>Whether batches hold one token count each on <paramref name="device"/>: <see cref="EqualLengthBatches"/> or the device's default.</summary>
    public bool EqualLengthBatchesOn(ExecutionDevice device) => EqualLengthBatches ?? device != ExecutionDevice.Cuda;

    /// <summary>Most GPU memory ONNX Runtime's CUDA arena may take, in bytes (<c>gpu_mem_limit</c>); <c>null</c> for no limit.</summary>
    public long? CudaMemoryLimitBytes { get; init; }

    /// <summary>
    /// Let CUDA run fp32 MatMuls on TF32 (faster on Ampere and later, ~3 decimal digits). Off by default, so that
    /// fp32 means fp32 as in the parity checks; for speed on a GPU, <see cref="ModelPrecision.Fp16"/> is the choice.
    /// </summary>
    public bool CudaTf32 { get; init; }

    /// <summary>
    /// Most tokens a text becomes, <c>[CLS]</c> and <c>[SEP]</c> included; <c>null</c> for the model's own
    /// (<c>sentence_bert_config.json</c>'s max_seq_length, 256 for the bundled model).
    /// </summary>
    public int? MaxSequenceLength { get; init; }

    /// <summary>
    /// The name of the model's prompt to put before every text (<c>config_sentence_transformers.json</c>'s
    /// <c>prompts</c>, e.g. <c>query</c>), as sentence-transformers' <c>encode(prompt_name=…)</c>; <c>null</c> for none.
    /// </summary>
    public string? Prompt { get; init; }

    /// <summary>Keep the first this many dimensions of every embedding, then normalise (Matryoshka models); <c>null</c> for all.</summary>
    public int? TruncateDimensions { get; init; }

    /// <summary>
    /// The number format the model runs in; <c>null</c> for the device's: fp16 on CUDA (tensor cores; fp32 stays at the
    /// graph's edges and in pooling), fp32 on the CPU. <see cref="ModelPrecision.Int8"/> is a CPU precision: with
    /// <see cref="ExecutionDevice.Auto"/> it runs on the CPU, and with <see cref="ExecutionDevice.Cuda"/> it is refused.
    /// </summary>
    public ModelPrecision? Precision { get; init; }

    /// <summary>The precision on <paramref name="device"/>: <see cref="Precision"/> or the device's default.</summary>
    public ModelPrecision PrecisionOn(ExecutionDevice device) =>
        Precision ?? (device == ExecutionDevice.Cuda ? ModelPrecision.Fp16 : ModelPrecision.Fp32);

    /// <summary>
    /// A folder where converted models (int8, fp16) are kept, so that the next run with the same model and precision
    /// skips the conversion; <c>null</c> to convert on every run. Made if missing; a folder that cannot be written
    /// only costs the next run the conversion.
    /// </summary>
    public string? ConvertedModelCache { get; init; }

    /// <summary>Where to run the model.</summary>
    public ExecutionDevice Device { get; init; } = ExecutionDevice.Cpu;

    /// <summary>
    /// The CUDA devices to run on, each with its own copy of the model, sharing every call's batches; <c>null</c>
    /// for every device CUDA shows the process (<c>CUDA_VISIBLE_DEVICES</c> narrows that). Only read on CUDA.
    /// </summary>
    public IReadOnlyList<int>? CudaDevices { get; init; }

    /// <summary>
    /// Sessions on the CPU. Tests run two to exercise the multi-device path without a GPU; on a real CPU one session
    /// on every core is as fast as two on half each (measured), so it is not a user setting.
    /// </summary>
    internal int CpuSessions { get; init; } = 1;

    /// <summary>Threads ONNX Runtime uses inside one operator on the CPU; <c>null</c> for one per core.</summary>
    public int? IntraOpThreads { get; init; }
}
