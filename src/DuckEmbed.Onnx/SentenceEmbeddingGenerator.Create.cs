using DuckEmbed.Onnx.Devices;
using DuckEmbed.Onnx.Graph;
using DuckEmbed.Onnx.Inference;
using DuckEmbed.Onnx.Tokenization;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace DuckEmbed.Onnx;

// Making a generator: the model read and checked before any session, converted to the device's precision, and its
// sessions on the device chosen.
public sealed partial class SentenceEmbeddingGenerator
{
    /// <summary>Loads the model from <paramref name="source"/> and prepares ONNX Runtime.</summary>
    /// <param name="source">The model.</param>
    /// <param name="options">Device, precision, batches, prompt.</param>
    /// <param name="logger">Told the device and the model's shape.</param>
    /// <param name="cancellationToken">Stops the preparation (int8 calibration takes seconds).</param>
    /// <exception cref="ModelLoadException">The model or a setting is wrong; <see cref="ModelLoadException.Setting"/> says which.</exception>
    /// <exception cref="OperationCanceledException">Stopped by <paramref name="cancellationToken"/>.</exception>
    public static SentenceEmbeddingGenerator Create(ModelSource source, SentenceEmbeddingOptions options, ILogger? logger = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBatchSize ?? 1, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBatchTokens ?? 1, 1);
        logger ??= NullLogger.Instance;
        // ONNX Runtime may send usage telemetry (1.31 tries HTTPS uploads from Linux too): never from DuckEmbed.
        // Before the first session, the int8 calibration's included.
        OrtEnv.Instance().DisableTelemetryEvents();
        var promptText = options.Prompt is null ? ""
            : source.Prompts.TryGetValue(options.Prompt, out var text) ? text
            : throw new ModelLoadException(ModelSetting.Prompt, source.Prompts.Count == 0
                ? $"'{options.Prompt}': the model {source.ModelId} has no prompts (config_sentence_transformers.json)."
                : $"'{options.Prompt}' is not one of the model's prompts ({string.Join(", ", source.Prompts.Keys)}).");
        var maxLength = options.MaxSequenceLength ?? source.Settings.MaxSequenceLength;
        var pooling = new SentencePooling(source.Settings.Pooling, options.TruncateDimensions);
        BertTokenizer tokenizer;
        try
        {
            tokenizer = new BertTokenizer(source.ReadVocabulary(), maxLength);
        }
        catch (InvalidDataException e)
        {
            throw new ModelLoadException(ModelSetting.ModelPath, $"{source.Location}: vocab.txt is not a BERT vocabulary: {e.Message} The model's vocab.txt must have [PAD], [UNK], [CLS], [SEP] and [MASK].", e);
        }
        var model = source.ReadModel();
        var modelSha256 = ModelSource.Sha256(model);
        try
        {
            CheckTables(source, ModelTables.Read(model), tokenizer, options.MaxSequenceLength is null);
            return Create(new ModelParts(source, tokenizer, pooling, model, new ModelIdentity(source.ModelId, modelSha256, source.Settings.Pooling, promptText)),
                options, logger, cancellationToken);
        }
        catch (InvalidProtocolBufferException e)
        {
            // What ONNX Runtime would say of it, said before the graph edits read it.
            throw new ModelLoadException(ModelSetting.ModelPath,
                $"{source.Location}: ONNX Runtime cannot load it (not an ONNX model: {e.Message}). The model must be a sentence-transformer exported to ONNX (model.onnx), with its vocab.txt.", e);
        }
    }

    // What ONNX Runtime would fail on in the middle of a run, with the output already made, refused before it starts.
    private static void CheckTables(ModelSource source, ModelTables tables, BertTokenizer tokenizer, bool lengthFromFolder)
    {
        if (tables.PositionRows is { } positions && tokenizer.MaxLength > positions)
        {
            var setting = lengthFromFolder ? "sentence_bert_config.json's max_seq_length" : "the maximum sequence length";
            throw new ModelLoadException(ModelSetting.ModelPath,
                $"{source.Location}: {setting} is {tokenizer.MaxLength}, but the model has positions for {positions} tokens. Set it to {positions} or less.");
        }
        if (tables.TokenRows is { } rows && tokenizer.HighestTokenId >= rows)
        {
            throw new ModelLoadException(ModelSetting.ModelPath,
                $"{source.Location}: vocab.txt has ids up to {tokenizer.HighestTokenId}, but the model's token table has {rows} rows: it is another model's vocabulary. Use the vocab.txt exported with model.onnx.");
        }
    }

    private static SentenceEmbeddingGenerator Create(ModelParts parts, SentenceEmbeddingOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var (source, tokenizer, pooling, model, identity) = parts;
        var modelSha256 = identity.Sha256;
        var maxLength = tokenizer.MaxLength;
        options = options with { Device = DeviceFor(options, logger) };
        // The model each device runs, converted to that device's precision only when it is tried (an auto run that
        // falls back to the CPU converts again for it), once per precision and attention mask.
        var runnable = new Dictionary<(ModelPrecision, bool), byte[]>();
        byte[] RunnableOn(ExecutionDevice device)
        {
            var precision = options.PrecisionOn(device);
            var maskFree = MaskFreeOn(device, options);
            if (!runnable.TryGetValue((precision, maskFree), out var bytes))
            {
                byte[] Convert() => PrecisionConversion.Apply(model, precision, text => tokenizer.Encode(text).Ids.ToArray(), maskFree, cancellationToken);
                var converted = precision == ModelPrecision.Fp32 || options.ConvertedModelCache is null
                    ? Convert()
                    : new ConvertedModelCache(options.ConvertedModelCache, logger).GetOrCreate(modelSha256, precision, maxLength, Convert,
                        (precision == ModelPrecision.Int8 ? Int8WeightsForCpu.Current.ToString().ToLowerInvariant() : "") + (maskFree ? "-maskfree" : ""));
                cancellationToken.ThrowIfCancellationRequested();
                // Pooling and normalisation inside the graph, where it can take them: only [batch, dimensions] leaves the model.
                runnable[(precision, maskFree)] = bytes = PoolingGraph.TryAppend(converted, pooling) ?? converted;
            }
            return bytes;
        }
        var (sessions, device, largestRun) = InferenceSessionFactory.Create(RunnableOn, source.Location, options, maxLength, logger);
        var chosen = options with
        {
            Device = device,
            Precision = options.PrecisionOn(device),
            MaxBatchSize = options.MaxBatchSizeOn(device),
            // A warm-up that had to halve its batch to fit the GPU's memory caps every run at what fitted.
            MaxBatchTokens = Math.Min(options.MaxBatchTokensOn(device), largestRun ?? int.MaxValue),
            EqualLengthBatches = options.EqualLengthBatchesOn(device),
        };
        logger.Batches(chosen.Precision!.Value.ToString().ToLowerInvariant(), options.Precision is null ? $" (the default on {Name(device)})" : "",
            chosen.MaxBatchSize!.Value, options.MaxBatchSize is null ? $" (the default on {Name(device)}; BATCH_SIZE sets it)" : "", chosen.MaxBatchTokens!.Value,
            !chosen.EqualLengthBatches.Value ? "padded to their longest text"
            : OnnxSentenceEncoder.TakesOneLengthOnly(sessions[0].Session)
                ? "each of one token count (attention without a padding mask)"
                : "each of one token count");
        options = chosen;
        var encoders = new List<IBatchEncoder>(sessions.Count);
        try
        {
            foreach (var (session, deviceId) in sessions)
            {
                encoders.Add(new OutOfMemorySplittingEncoder(new OnnxSentenceEncoder(session, tokenizer.PadId, device, pooling, deviceId, logger), logger));
            }
            var pool = new EncoderPool(encoders);
            logger.Model(source.ModelId, source.Location, pool.Dimensions, maxLength, source.Settings.Pooling.ToString().ToLowerInvariant(),
                options.Prompt is null ? "" : $", prompt '{options.Prompt}'");
            return new SentenceEmbeddingGenerator(identity, tokenizer, pool, options);
        }
        catch
        {
            // Each encoder owns its session; the sessions no encoder took yet are disposed here.
            encoders.ForEach(e => e.Dispose());
            foreach (var (session, _) in sessions.Skip(encoders.Count))
            {
                session.Dispose();
            }
            throw;
        }
    }

    /// <summary>
    /// Whether the model on <paramref name="device"/> runs its attention without the padding mask: on the CPU when
    /// every batch holds one token count, so nothing is padded and ONNX Runtime takes its flash-attention path (fp32
    /// and int8). Not on CUDA, nor for fp16 anywhere: fp16's fused attention has never run on a GPU here.
    /// </summary>
    internal static bool MaskFreeOn(ExecutionDevice device, SentenceEmbeddingOptions options) =>
        device == ExecutionDevice.Cpu && options.EqualLengthBatchesOn(device) && options.PrecisionOn(device) != ModelPrecision.Fp16;

    private static string Name(ExecutionDevice device) => device == ExecutionDevice.Cuda ? "CUDA" : "the CPU";

    /// <summary>
    /// The device to try: int8 is a CPU precision (ONNX Runtime has no CUDA kernel for its quantized MatMul, so on a
    /// CUDA session every one of them would run on the CPU, on one thread, with copies around it), so auto runs it on
    /// the CPU, saying so, and cuda refuses it.
    /// </summary>
    internal static ExecutionDevice DeviceFor(SentenceEmbeddingOptions options, ILogger logger)
    {
        if (options.Precision != ModelPrecision.Int8 || options.Device == ExecutionDevice.Cpu)
        {
            return options.Device;
        }
        if (options.Device == ExecutionDevice.Cuda)
        {
            throw new ModelLoadException(ModelSetting.Precision,
                "int8 runs on the CPU only: ONNX Runtime has no CUDA kernel for its quantized MatMul, so the GPU would wait on the CPU. " +
                "Use fp16 on a GPU (the default there), or device cpu for int8.");
        }
        logger.Int8ChoosesCpu();
        return ExecutionDevice.Cpu;
    }

    /// <summary>
    /// A generator over encoders made by the caller, with CUDA's token budget by default: the benchmark's simulated
    /// GPU, which costs no CPU, so that what remains is the CPU side around a device.
    /// </summary>
    internal static SentenceEmbeddingGenerator ForEncoders(BertTokenizer tokenizer, IReadOnlyList<IBatchEncoder> encoders, SentenceEmbeddingOptions options) =>
        new(new ModelIdentity("encoders", "", PoolingMode.Mean, ""), tokenizer, new EncoderPool(encoders),
            options with { MaxBatchTokens = options.MaxBatchTokensOn(ExecutionDevice.Cuda) });
}
