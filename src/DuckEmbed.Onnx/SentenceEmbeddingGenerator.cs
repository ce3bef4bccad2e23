using DuckEmbed.Onnx.Inference;
using DuckEmbed.Onnx.Tokenization;
using Microsoft.Extensions.AI;

namespace DuckEmbed.Onnx;

/// <summary>
/// A sentence-transformer (tokenizer, ONNX model, mean pooling, L2 normalisation) as an
/// <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/>. One call may hold many texts: they are tokenized,
/// sorted by length and run in batches of at most <see cref="SentenceEmbeddingOptions.MaxBatchSize"/>, shared among
/// the CUDA devices when there are several; the embeddings come back in input order. Safe to call from several threads.
/// How one is made (the model read and checked, converted, its sessions on the device) is in
/// <c>SentenceEmbeddingGenerator.Create.cs</c>.
/// </summary>
public sealed partial class SentenceEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
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

    /// <summary>
    /// The key in <see cref="EmbeddingGenerationOptions.AdditionalProperties"/> of a <see cref="Memory{T}"/> of floats
    /// the caller owns, at least texts × <see cref="Dimensions"/> long, into which a call writes its vectors (each
    /// embedding is then a slice of it) instead of a block of its own: the DuckEmbed processor's convention (its
    /// <c>EmbeddingJob.VectorDestinationKey</c>), so that it can reuse one block per window and allocate nothing per text.
    /// </summary>
    public const string VectorDestinationKey = "duckembed.vector_destination";

    /// <inheritdoc />
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var texts = values as IReadOnlyList<string> ?? values.ToArray();
        var destination = Destination(options, texts.Count);
        return Task.Run(() => Generate(texts, destination, cancellationToken), cancellationToken);
    }

    private Memory<float> Destination(EmbeddingGenerationOptions? options, int texts)
    {
        var length = texts * Dimensions;
        if (options?.AdditionalProperties?.TryGetValue(VectorDestinationKey, out var value) != true)
        {
            return new float[length];
        }
        if (value is not Memory<float> destination)
        {
            throw new ArgumentException($"{VectorDestinationKey} must be a Memory<float>; it is {value?.GetType().Name ?? "null"}.", nameof(options));
        }
        if (destination.Length < length)
        {
            throw new ArgumentException(
                $"{VectorDestinationKey} must be a Memory<float> of at least {texts} × {Dimensions} floats; it is {destination.Length} floats.", nameof(options));
        }
        return destination[..length];
    }

    private GeneratedEmbeddings<Embedding<float>> Generate(IReadOnlyList<string> texts, Memory<float> vectors, CancellationToken cancellationToken)
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
        // One block for the whole call (the caller's, or one of its own), which the encoders write in their batches'
        // order; each embedding is a slice of it, so nothing is copied per text.
        ArraySegment<int>[] plan = [.. LengthSortedBatches.Plan(encoded, _options.MaxBatchSizeOn(_options.Device), _options.MaxBatchTokens!.Value,
            _options.EqualLengthBatchesOn(_options.Device))];
        var rows = _encoders.Run(encoded, plan, vectors, cancellationToken);

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
            result.Add(new Embedding<float>(vectors.Slice(rows[i] * dimensions, dimensions)) { ModelId = _metadata.DefaultModelId });
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
