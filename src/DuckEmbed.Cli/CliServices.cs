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

    /// <summary>The embedder of <paramref name="settings"/>; <paramref name="prompt"/> overrides the config's (search's query prompt).</summary>
    public static SentenceEmbeddingGenerator CreateEmbedder(RunSettings settings, int batchSize, ILoggerFactory logging, string? prompt = null)
    {
        var source = settings.ModelPath is null ? ModelSource.Bundled() : ModelSource.FromDirectory(settings.ModelPath);
        return SentenceEmbeddingGenerator.Create(source, new SentenceEmbeddingOptions
        {
            MaxBatchSize = batchSize,
            Device = settings.Device,
            Precision = settings.Precision,
            IntraOpThreads = settings.Threads,
            CudaDevices = settings.CudaDevices,
            MaxBatchTokens = settings.MaxBatchTokens ?? SentenceEmbeddingOptions.DefaultMaxBatchTokens,
            Prompt = prompt ?? settings.Prompt,
            TruncateDimensions = settings.TruncateDimensions,
        }, logging.CreateLogger("onnx"));
    }
}
