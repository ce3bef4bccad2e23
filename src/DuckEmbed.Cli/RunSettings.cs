using System.Text.Json;
using DuckEmbed.Onnx;
using DuckEmbed.Processor;
using DuckEmbed.Processor.Database;

namespace DuckEmbed.Cli;

/// <summary>
/// One run's settings: <c>config.json</c> (relative paths resolve against its folder) and the environment
/// (<c>BATCH_SIZE</c>, <c>DEVICE</c>).
/// </summary>
internal sealed record RunSettings(EmbeddingJob Job, int? BatchSize, string? ModelPath, ExecutionDevice Device, ModelPrecision? Precision,
    int? Threads, int? MaxBatchTokens, IReadOnlyList<int>? CudaDevices)
{
    /// <summary>
    /// Rows per inference batch on the CPU when <c>BATCH_SIZE</c> is not set (on CUDA:
    /// <see cref="SentenceEmbeddingOptions.DefaultCudaMaxBatchSize"/>). The generator chooses it once it knows the device.
    /// </summary>
    public const int DefaultBatchSize = SentenceEmbeddingOptions.DefaultMaxBatchSize;

    /// <summary>How the defaults are said in messages.</summary>
    internal static string DefaultBatchSizes => $"{DefaultBatchSize} on the CPU, {SentenceEmbeddingOptions.DefaultCudaMaxBatchSize} on a GPU";

    /// <summary>Most texts in one batch; a larger <c>BATCH_SIZE</c> is refused.</summary>
    public const int MaxBatchSize = 1 << 16;

    /// <summary>ONNX Runtime threads per core at most: more only share the cores (a typo of 100,000 made 13,335 threads).</summary>
    public const int ThreadsPerCore = 4;

    /// <summary>Most <c>threads</c>.</summary>
    public static int MaxThreads => ThreadsPerCore * Environment.ProcessorCount;

    /// <summary>Most <c>max_batch_tokens</c>: 4M token cells are ~6 GB of MiniLM's activations, more than a batch needs.</summary>
    public const int LargestMaxBatchTokens = 1 << 22;

    /// <summary>Most <c>batches_per_window</c> (the window is capped at <see cref="EmbeddingJob.MaxWindowSize"/> rows anyway).</summary>
    public const int MaxBatchesPerWindow = 1 << 16;

    /// <summary>Most <c>truncate_dim</c>; the model's own dimensions are checked when it loads.</summary>
    public const int MaxTruncateDimensions = 1 << 16;

    /// <summary>Most <c>commit_seconds</c>: an hour of work is the most a kill may cost a writer.</summary>
    public const int MaxCommitSeconds = 3600;

    /// <summary>Batches per window (<c>batches_per_window</c>) when not set: windows of 1,024 rows at the default batch size.</summary>
    public const int DefaultBatchesPerWindow = 32;

    /// <summary>Batches read, embedded and committed together (<c>batches_per_window</c>).</summary>
    public int BatchesPerWindow { get; init; } = DefaultBatchesPerWindow;

    /// <summary>The processor's window for <paramref name="batchSize"/>: whole batches, at most <see cref="EmbeddingJob.MaxWindowSize"/> rows.</summary>
    public int WindowSizeFor(int batchSize) => (int)Math.Min((long)batchSize * BatchesPerWindow, EmbeddingJob.MaxWindowSize);

    /// <summary>The model's prompt for the stored texts (<c>prompt</c>, e.g. <c>document</c>); <c>null</c> for none.</summary>
    public string? Prompt { get; init; }

    /// <summary>
    /// Where int8 and fp16 conversions of the model are kept for the next run (<c>model_cache</c>): by default the
    /// folder <c>.duckembed-cache</c> beside the output, which a container's <c>/data</c> mount keeps between runs.
    /// </summary>
    public string? ModelCache { get; init; }

    /// <summary>Most GPU memory ONNX Runtime may take per device (<c>cuda_memory_limit</c>, e.g. <c>8GB</c>); <c>null</c> for no limit.</summary>
    public long? CudaMemoryLimitBytes { get; init; }

    /// <summary>fp32 MatMuls on TF32 on CUDA (<c>cuda_tf32</c>); off by default.</summary>
    public bool CudaTf32 { get; init; }

    /// <summary>Batches of one token count each (<c>equal_length_batches</c>); <c>null</c> for the device's default (on the CPU, off on CUDA).</summary>
    public bool? EqualLengthBatches { get; init; }

    /// <summary>Dimensions kept of each vector (<c>truncate_dim</c>); <c>null</c> for all.</summary>
    public int? TruncateDimensions { get; init; }

    public static RunSettings Load(string configPath, Func<string, string?> environment)
    {
        var fullPath = Path.GetFullPath(configPath);
        var config = new ConfigValues(Read(configPath, fullPath), configPath);
        var file = config.File;
        var baseDirectory = Path.GetDirectoryName(fullPath)!;
        string ResolvePath(string path) => Path.GetFullPath(path, baseDirectory);

        var job = new EmbeddingJob
        {
            InputDatabasePath = ResolvePath(config.Text(file.InputDbPath, nameof(file.InputDbPath))!),
            OutputDatabasePath = ResolvePath(config.Text(file.OutputDbPath, nameof(file.OutputDbPath))!),
            InputTable = config.Text(file.InputTable, nameof(file.InputTable))!,
            IdColumn = config.Text(file.IdColumn, nameof(file.IdColumn))!,
            TextColumn = config.Text(file.TextColumn, nameof(file.TextColumn))!,
            OutputTable = config.Text(file.OutputTable, nameof(file.OutputTable))!,
            VectorColumn = config.Text(file.VectorColumn, nameof(file.VectorColumn)) ?? EmbeddingJob.DefaultVectorColumn,
            VectorType = ParseVectorType(config.Text(file.VectorType, nameof(file.VectorType)) ?? "array"),
            VectorPrecision = ParseVectorPrecision(config.Text(file.VectorPrecision, nameof(file.VectorPrecision)) ?? "float32"),
            MaxRows = config.Whole(file.MaxRows, nameof(file.MaxRows), int.MaxValue),
            Writers = config.Whole(file.Writers, nameof(file.Writers), EmbeddingJob.MaxWriters) ?? EmbeddingJob.DefaultWriters,
            GeneratorCalls = config.Whole(file.GeneratorCalls, nameof(file.GeneratorCalls), EmbeddingJob.MaxGeneratorCalls) ?? EmbeddingJob.DefaultGeneratorCalls,
            CommitInterval = config.Whole(file.CommitSeconds, nameof(file.CommitSeconds), MaxCommitSeconds) is { } seconds
                ? TimeSpan.FromSeconds(seconds)
                : EmbeddingJob.DefaultCommitInterval,
            DuckDbMemoryLimit = config.Text(file.DuckdbMemoryLimit, nameof(file.DuckdbMemoryLimit)) ?? EmbeddingJob.DefaultDuckDbMemoryLimit,
            CheckDiskSpace = file.CheckDiskSpace ?? true,
        };
        var modelPath = config.Text(file.ModelPath, nameof(file.ModelPath)) is { } model ? ResolvePath(model) : null;
        var device = ParseDevice(environment("DEVICE") is { Length: > 0 } fromEnvironment
            ? (fromEnvironment, "DEVICE")
            : (config.Text(file.Device, nameof(file.Device)) ?? "auto", ConfigFile.Key(nameof(file.Device))));
        var precision = config.Text(file.Precision, nameof(file.Precision)) is { } named ? ParsePrecision(named) : (ModelPrecision?)null;
        var batchSize = ParseBatchSize(environment("BATCH_SIZE"));
        var settings = new RunSettings(job, batchSize, modelPath, device, precision,
            config.Whole(file.Threads, nameof(file.Threads), MaxThreads, $" ({ThreadsPerCore} per core of this machine's {Environment.ProcessorCount} cores)"),
            config.Whole(file.MaxBatchTokens, nameof(file.MaxBatchTokens), LargestMaxBatchTokens),
            config.DeviceNumbers(file.CudaDevices, nameof(file.CudaDevices)))
        {
            BatchesPerWindow = config.Whole(file.BatchesPerWindow, nameof(file.BatchesPerWindow), MaxBatchesPerWindow) ?? DefaultBatchesPerWindow,
            Prompt = config.Text(file.Prompt, nameof(file.Prompt)),
            TruncateDimensions = config.Whole(file.TruncateDim, nameof(file.TruncateDim), MaxTruncateDimensions),
            CudaMemoryLimitBytes = config.Size(file.CudaMemoryLimit, nameof(file.CudaMemoryLimit)),
            CudaTf32 = file.CudaTf32 ?? false,
            EqualLengthBatches = file.EqualLengthBatches,
            ModelCache = config.Text(file.ModelCache, nameof(file.ModelCache)) is { } cache
                ? ResolvePath(cache)
                : Path.Combine(Path.GetDirectoryName(job.OutputDatabasePath)!, ".duckembed-cache"),
        };
        // Provisional until the generator has chosen the batch size for its device (EmbedCommand sets the final one).
        return settings with { Job = job with { WindowSize = settings.WindowSizeFor(batchSize ?? DefaultBatchSize) } };
    }

    /// <summary>The config file's settings, every key known, every required one there, each value of its key's JSON type.</summary>
    private static (ConfigFile File, JsonElement Root) Read(string configPath, string fullPath)
    {
        if (Directory.Exists(fullPath))
        {
            throw new CliUsageException($"--config: {fullPath} is a folder; pass the config file in it, e.g. --config {Path.Combine(configPath, "config.json")}.");
        }
        if (!File.Exists(fullPath))
        {
            throw new CliUsageException($"--config: {fullPath} not found. Create a config.json (see README) or pass --config PATH.");
        }
        JsonElement root;
        try
        {
            // A key given twice would otherwise silently take its last value.
            using var document = JsonDocument.Parse(File.ReadAllText(fullPath),
                new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, AllowDuplicateProperties = false });
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            var line = e.LineNumber is { } number ? $" (line {number + 1})" : "";
            throw new CliUsageException($"{configPath} is not valid JSON{line}: {e.Message.Split(" Path:")[0].Replace(" encountered during deserialization", "", StringComparison.Ordinal)}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException($"--config: {fullPath} cannot be read: {e.Message}", e);
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new CliUsageException($"{configPath} must hold one JSON object with the settings, not a {root.ValueKind}.");
        }
        foreach (var property in root.EnumerateObject())
        {
            // A misspelt setting is refused, not ignored: "precison": "int8" ignored would run in fp32 without a word.
            if (!ConfigFile.Keys.Contains(property.Name))
            {
                throw new CliUsageException($"{configPath}: '{property.Name}' is not a setting; {NameSuggestions.For(property.Name, ConfigFile.Keys)} " +
                    "Every setting is in docs/configuration.md.");
            }
        }
        foreach (var key in ConfigFile.RequiredKeys)
        {
            if (!root.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                throw new CliUsageException($"{configPath}: the setting '{key}' is missing. Required: {string.Join(", ", ConfigFile.RequiredKeys)}.");
            }
        }
        try
        {
            return (ConfigFile.Read(root), root);
        }
        catch (JsonException e) when (e.Path is { } path && KeyIn(path) is { } key && root.TryGetProperty(key, out var value))
        {
            throw new CliUsageException($"{configPath}: '{key}' must be {ConfigFile.Expected(key)}, not {ConfigValues.Describe(value)}.", e);
        }
    }

    // "$.cuda_devices[1]" names the key cuda_devices.
    private static string? KeyIn(string path) =>
        path.StartsWith("$.", StringComparison.Ordinal) ? new string([.. path[2..].TakeWhile(c => char.IsAsciiLetterOrDigit(c) || c == '_')]) : null;

    /// <summary><c>BATCH_SIZE</c>; <c>null</c> when unset, for the device's default.</summary>
    internal static int? ParseBatchSize(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        var digits = value.Trim().TrimStart('+');
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit) || digits.All(c => c == '0'))
        {
            throw new CliUsageException($"BATCH_SIZE must be a positive whole number of rows, not '{value}'. Unset it for the default ({DefaultBatchSizes}).");
        }
        return int.TryParse(digits, out var size) && size <= MaxBatchSize
            ? size
            : throw new CliUsageException(
                $"BATCH_SIZE {value.Trim()} is more than the {MaxBatchSize:N0} texts one batch may hold; GPUs are fastest well below that (./check_benchmark.sh measures it). Unset it for the default ({DefaultBatchSizes}).");
    }

    private static ExecutionDevice ParseDevice((string Value, string Setting) device) => device.Value.Trim().ToLowerInvariant() switch
    {
        "auto" => ExecutionDevice.Auto,
        "cpu" => ExecutionDevice.Cpu,
        "cuda" or "gpu" => ExecutionDevice.Cuda,
        _ => throw new CliUsageException($"{device.Setting} must be auto, cpu or cuda, not '{device.Value}'."),
    };

    private static VectorColumnType ParseVectorType(string value) => value.Trim().ToLowerInvariant() switch
    {
        "array" => VectorColumnType.Array,
        "list" => VectorColumnType.List,
        _ => throw new CliUsageException($"vector_type must be array (FLOAT[N], searchable with DuckDB's vss index) or list (FLOAT[]), not '{value}'."),
    };

    private static VectorPrecision ParseVectorPrecision(string value) => VectorPrecisionNames.Parse(value.Trim().ToLowerInvariant())
        ?? throw new CliUsageException(
            $"vector_precision must be float32 (4 bytes a dimension), int8 (1 byte, ranges calibrated on the input), binary (1 bit) or binary+int8 (the bits, and int8 codes to rescore with), not '{value}'.");

    private static ModelPrecision ParsePrecision(string value) => value.Trim().ToLowerInvariant() switch
    {
        "fp32" => ModelPrecision.Fp32,
        "fp16" => ModelPrecision.Fp16,
        "int8" => ModelPrecision.Int8,
        _ => throw new CliUsageException($"precision must be fp32, fp16 or int8, not '{value}'."),
    };
}
