using DuckEmbed.Onnx.Devices;
using DuckEmbed.Onnx.Graph;
using DuckEmbed.Onnx.Inference;
using DuckEmbed.Onnx.Tokenization;
using Google.Protobuf;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace DuckEmbed.Onnx;

/// <summary>
/// A sentence-transformer (tokenizer, ONNX model, mean pooling, L2 normalisation) as an
/// <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/>. One call may hold many texts: they are tokenized,
/// sorted by length and run in batches of at most <see cref="SentenceEmbeddingOptions.MaxBatchSize"/>, shared among
/// the CUDA devices when there are several; the embeddings come back in input order. Safe to call from several threads.
/// </summary>
public sealed class SentenceEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>Key in <see cref="UsageDetails.AdditionalCounts"/>: texts cut to the maximum sequence length.</summary>
    public const string TruncatedTextsCount = "truncated_texts"; // EmbeddingProcessor.TruncatedTextsUsageKey reads it

    private readonly BertTokenizer _tokenizer;
    private readonly EncoderPool _encoders;
    private readonly SentenceEmbeddingOptions _options;
    private readonly EmbeddingGeneratorMetadata _metadata;

    private readonly int _maxLength;
    private readonly PoolingMode _pooling;
    private readonly string _promptText;

    private SentenceEmbeddingGenerator(ModelIdentity model, BertTokenizer tokenizer, EncoderPool encoders, SentenceEmbeddingOptions options)
    {
        _tokenizer = tokenizer;
        _encoders = encoders;
        _options = options;
        _maxLength = tokenizer.MaxLength;
        _pooling = model.Pooling;
        _promptText = model.PromptText;
        ModelSha256 = model.Sha256;
        _metadata = new EmbeddingGeneratorMetadata("onnxruntime", null, model.ModelId, encoders.Dimensions);
    }

    /// <summary>What tells this generator's vectors apart from another's, besides the options.</summary>
    private sealed record ModelIdentity(string ModelId, string Sha256, PoolingMode Pooling, string PromptText);

    /// <summary>What a generator is made of, read and checked from its model source before any session.</summary>
    private sealed record ModelParts(ModelSource Source, BertTokenizer Tokenizer, SentencePooling Pooling, byte[] Model, ModelIdentity Identity);

    /// <summary>The length of every embedding.</summary>
    public int Dimensions => _encoders.Dimensions;

    /// <summary>Where the model runs (what <see cref="ExecutionDevice.Auto"/> became).</summary>
    public ExecutionDevice Device => _options.Device;

    /// <summary>The precision the model runs in (the setting, or the device's default).</summary>
    public ModelPrecision Precision => _options.PrecisionOn(_options.Device);

    /// <summary>Most texts in one run (the setting, or the device's default).</summary>
    public int MaxBatchSize => _options.MaxBatchSizeOn(_options.Device);

    /// <summary>SHA-256 of the ONNX model's bytes, to tell models apart.</summary>
    public string ModelSha256 { get; }

    /// <summary>Everything besides the model id that determines the vectors, for an output's provenance record.</summary>
    public IReadOnlyDictionary<string, string> Settings
    {
        get
        {
            var settings = new Dictionary<string, string>
            {
                ["model_sha256"] = ModelSha256,
                ["pooling"] = _pooling.ToString().ToLowerInvariant(),
                ["normalization"] = "l2",
                ["max_length"] = _maxLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["precision"] = _options.PrecisionOn(_options.Device).ToString().ToLowerInvariant(),
            };
            if (_options.Prompt is { } prompt)
            {
                settings[PromptSetting] = prompt;
                settings["prompt_text"] = _promptText;
            }
            if (_options.TruncateDimensions is { } truncated)
            {
                settings["truncate_dim"] = truncated.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            return settings;
        }
    }

    /// <summary>
    /// The service key under which <see cref="GetService"/> gives <see cref="Settings"/> as an
    /// <c>IReadOnlyDictionary&lt;string, string&gt;</c>: the DuckEmbed processor's convention (its
    /// <c>EmbeddingJob.GeneratorSettingsKey</c>), kept as a string so that neither library references the other.
    /// </summary>
    public const string SettingsServiceKey = "duckembed.generator_settings";

    /// <summary>The key of <see cref="Settings"/> naming the prompt (and, with <c>_text</c>, its text).</summary>
    public const string PromptSetting = "prompt";

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
        // falls back to the CPU converts again for it), once per precision.
        var runnable = new Dictionary<ModelPrecision, byte[]>();
        byte[] RunnableOn(ExecutionDevice device)
        {
            var precision = options.PrecisionOn(device);
            if (!runnable.TryGetValue(precision, out var bytes))
            {
                byte[] Convert() => PrecisionConversion.Apply(model, precision, text => tokenizer.Encode(text).Ids.ToArray(), cancellationToken);
                var converted = precision == ModelPrecision.Fp32 || options.ConvertedModelCache is null
                    ? Convert()
                    : new ConvertedModelCache(options.ConvertedModelCache, logger).GetOrCreate(modelSha256, precision, maxLength, Convert,
                        precision == ModelPrecision.Int8 ? Int8WeightsForCpu.Current.ToString().ToLowerInvariant() : "");
                cancellationToken.ThrowIfCancellationRequested();
                // Pooling and normalisation inside the graph, where it can take them: only [batch, dimensions] leaves the model.
                runnable[precision] = bytes = PoolingGraph.TryAppend(converted, pooling) ?? converted;
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
        };
        logger.LogInformation("Precision {Precision}{PrecisionSource}, batches of up to {BatchSize} texts{BatchSource} and {Tokens} token cells",
            chosen.Precision!.Value.ToString().ToLowerInvariant(), options.Precision is null ? $" (the default on {Name(device)})" : "",
            chosen.MaxBatchSize, options.MaxBatchSize is null ? $" (the default on {Name(device)}; BATCH_SIZE sets it)" : "", chosen.MaxBatchTokens);
        options = chosen;
        var encoders = new List<IBatchEncoder>(sessions.Count);
        try
        {
            foreach (var (session, deviceId) in sessions)
            {
                encoders.Add(new OutOfMemorySplittingEncoder(new OnnxSentenceEncoder(session, tokenizer.PadId, device, pooling, deviceId, logger), logger));
            }
            var pool = new EncoderPool(encoders);
            logger.LogInformation("Model {ModelId} from {Location}: {Dimensions} dimensions, max {MaxLength} tokens, {Pooling} pooling{Prompt}",
                source.ModelId, source.Location, pool.Dimensions, maxLength, source.Settings.Pooling.ToString().ToLowerInvariant(),
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
        logger.LogInformation("Precision int8 runs on the CPU (ONNX Runtime has no CUDA kernel for it): device auto chooses the CPU");
        return ExecutionDevice.Cpu;
    }

    /// <summary>
    /// A generator over encoders made by the caller, with CUDA's token budget by default: the benchmark's simulated
    /// GPU, which costs no CPU, so that what remains is the CPU side around a device.
    /// </summary>
    internal static SentenceEmbeddingGenerator ForEncoders(BertTokenizer tokenizer, IReadOnlyList<IBatchEncoder> encoders, SentenceEmbeddingOptions options) =>
        new(new ModelIdentity("encoders", "", PoolingMode.Mean, ""), tokenizer, new EncoderPool(encoders),
            options with { MaxBatchTokens = options.MaxBatchTokensOn(ExecutionDevice.Cuda) });

    /// <inheritdoc />
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var texts = values as IReadOnlyList<string> ?? values.ToArray();
        return Task.Run(() => Generate(texts, cancellationToken), cancellationToken);
    }

    private GeneratedEmbeddings<Embedding<float>> Generate(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        for (var i = 0; i < texts.Count; i++)
        {
            _ = texts[i] ?? throw new ArgumentException($"Text {i} is null.", nameof(texts));
        }
        // On the CPU tokenizing is under 1 % of the time; next to one or more GPUs it is not, so it uses every core,
        // each writing the ids into its own pooled chunk of the arena: no allocation per text.
        using var arena = new TokenArena(_tokenizer);
        var encoded = new EncodedText[texts.Count];
        // One core is left to the thread that feeds the device: while a call is tokenized the device runs the one before,
        // and a feeder that waits for a core leaves it idle (2 cores, simulated GPU at batch 256: 0.945 → 0.984 busy, BENCHMARKS.md).
        var parallelism = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount - 1) };
        Parallel.For(0, encoded.Length, parallelism, () => new TokenArena.Writer(),
            (i, _, writer) =>
            {
                encoded[i] = arena.Encode(_promptText.Length == 0 ? texts[i] : _promptText + texts[i], writer);
                return writer;
            },
            _ => { });
        long tokens = 0;
        long truncated = 0;
        foreach (var text in encoded)
        {
            tokens += text.Ids.Length;
            truncated += text.Truncated ? 1 : 0;
        }

        var dimensions = _encoders.Dimensions;
        // One block for the whole call, which the encoders write in their batches' order; each embedding is a slice of
        // it, so nothing is allocated or copied per text.
        var vectors = new float[encoded.Length * dimensions];
        ArraySegment<int>[] plan = [.. LengthSortedBatches.Plan(encoded, _options.MaxBatchSizeOn(_options.Device), _options.MaxBatchTokens!.Value)];
        _encoders.Run(encoded, plan, vectors, cancellationToken);
        var rows = EncoderPool.PlanRows(encoded.Length, plan);

        var result = new GeneratedEmbeddings<Embedding<float>>(encoded.Length)
        {
            Usage = new UsageDetails
            {
                InputTokenCount = tokens,
                TotalTokenCount = tokens,
                AdditionalCounts = new() { [TruncatedTextsCount] = truncated },
            },
        };
        for (var i = 0; i < encoded.Length; i++)
        {
            result.Add(new Embedding<float>(vectors.AsMemory(rows[i] * dimensions, dimensions)) { ModelId = _metadata.DefaultModelId });
        }
        return result;
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        // The processor asks for what besides the model id determines the vectors, for its provenance record.
        if (serviceKey is SettingsServiceKey && serviceType == typeof(IReadOnlyDictionary<string, string>))
        {
            return Settings;
        }
        if (serviceKey is not null)
        {
            return null;
        }
        if (serviceType == typeof(EmbeddingGeneratorMetadata))
        {
            return _metadata;
        }
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose() => _encoders.Dispose();
}
