using DuckEmbed.Onnx;
using Microsoft.Extensions.Logging;

namespace DuckEmbed.Cli;

/// <summary>What every command builds the same way: logging to stderr and the embedder.</summary>
internal static class CliServices
{
    public static ILoggerFactory CreateLogging(bool verbose, LogLevel minimum = LogLevel.Information) => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(verbose ? LogLevel.Debug : minimum)
        // Warnings and errors on stderr, so that stdout stays the run's own report.
        .AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Warning)
        .AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss ";
        })
        .AddFilter("Microsoft", LogLevel.Warning));

    /// <summary>The model of <paramref name="settings"/>: its <c>model_path</c> folder, or the bundled one.</summary>
    public static ModelSource OpenModel(RunSettings settings) =>
        settings.ModelPath is null ? ModelSource.Bundled() : ModelSource.FromDirectory(settings.ModelPath);

    /// <summary>
    /// The embedder of <paramref name="settings"/>; <paramref name="prompt"/> overrides the config's (search's query
    /// prompt), and <paramref name="source"/> is the model when the caller has opened it already.
    /// </summary>
    public static SentenceEmbeddingGenerator CreateEmbedder(RunSettings settings, int? batchSize, ILoggerFactory logging, string? prompt = null,
        ModelSource? source = null, CancellationToken cancellationToken = default)
    {
        return SentenceEmbeddingGenerator.Create(source ?? OpenModel(settings), new SentenceEmbeddingOptions
        {
            MaxBatchSize = batchSize,
            Device = settings.Device,
            Precision = settings.Precision,
            IntraOpThreads = settings.Threads,
            CudaDevices = settings.CudaDevices,
            MaxBatchTokens = settings.MaxBatchTokens,
            CudaMemoryLimitBytes = settings.CudaMemoryLimitBytes,
            CudaTf32 = settings.CudaTf32,
            EqualLengthBatches = settings.EqualLengthBatches,
            Prompt = prompt ?? settings.Prompt,
            TruncateDimensions = settings.TruncateDimensions,
            ConvertedModelCache = settings.ModelCache,
        }, logging.CreateLogger("onnx"), cancellationToken);
    }
}
