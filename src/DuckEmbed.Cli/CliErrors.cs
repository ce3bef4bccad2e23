using DuckDB.NET.Data;
using DuckDB.NET.Native;
using DuckEmbed.Onnx;
using DuckEmbed.Processor;

namespace DuckEmbed.Cli;

/// <summary>How every command reports a failure: one line on stderr, and the exit code that says whose it is.</summary>
internal static class CliErrors
{
    /// <summary>A user's mistake (a setting, the data, the model folder): its message, exit 1. Anything else: exit 2.</summary>
    public static int Report(Exception error, TextWriter stderr, bool verbose)
    {
        if (UserMessage(error) is { } message)
        {
            stderr.WriteLine($"error: {message}");
            if (verbose)
            {
                stderr.WriteLine(error);
            }
            return ExitCodes.UserError;
        }
        stderr.WriteLine($"error: {error.GetType().Name}: {error.Message}");
        stderr.WriteLine(verbose ? error.ToString() : "Run again with --verbose for details.");
        return ExitCodes.Failure;
    }

    /// <summary>The library's message in the CLI's words: the config key or flag of the setting at fault first.</summary>
    internal static string? UserMessage(Exception error) => error switch
    {
        CliUsageException usage => usage.Message,
        EmbeddingJobException job => Prefix(ConfigKey(job.Setting), job.Message) + (job.CanOverwrite ? " Run with --overwrite to replace it." : ""),
        ModelLoadException model => Prefix(ConfigKey(model.Setting), model.Message) + Advice(model.Setting),
        // What a disk or a file can do to any command (full, read-only, gone, past ulimit -f): the user's to fix.
        IOException or UnauthorizedAccessException => error.Message,
        DuckDBException { ErrorType: DuckDBErrorType.Io or DuckDBErrorType.OutOfMemory or DuckDBErrorType.Permission } duckDb =>
            $"DuckDB: {duckDb.Message.Split('\n', 2)[0].Trim()}" + (duckDb.ErrorType == DuckDBErrorType.OutOfMemory ? " (duckdb_memory_limit sets DuckDB's memory.)" : ""),
        _ => null,
    };

    private static string Prefix(string? key, string message) => key is null ? message : $"{key}: {message}";

    private static string? ConfigKey(JobSetting setting) => setting switch
    {
        JobSetting.InputDatabasePath => ConfigFile.Key(nameof(ConfigFile.InputDbPath)),
        JobSetting.OutputDatabasePath => ConfigFile.Key(nameof(ConfigFile.OutputDbPath)),
        JobSetting.InputTable => ConfigFile.Key(nameof(ConfigFile.InputTable)),
        JobSetting.IdColumn => ConfigFile.Key(nameof(ConfigFile.IdColumn)),
        JobSetting.TextColumn => ConfigFile.Key(nameof(ConfigFile.TextColumn)),
        JobSetting.OutputTable => ConfigFile.Key(nameof(ConfigFile.OutputTable)),
        JobSetting.VectorColumn => ConfigFile.Key(nameof(ConfigFile.VectorColumn)),
        JobSetting.VectorPrecision => ConfigFile.Key(nameof(ConfigFile.VectorPrecision)),
        JobSetting.WindowSize => $"BATCH_SIZE × {ConfigFile.Key(nameof(ConfigFile.BatchesPerWindow))}",
        JobSetting.Writers => ConfigFile.Key(nameof(ConfigFile.Writers)),
        JobSetting.CommitInterval => ConfigFile.Key(nameof(ConfigFile.CommitSeconds)),
        JobSetting.GeneratorCalls => ConfigFile.Key(nameof(ConfigFile.GeneratorCalls)),
        JobSetting.DuckDbMemoryLimit => ConfigFile.Key(nameof(ConfigFile.DuckdbMemoryLimit)),
        JobSetting.MaxRows => ConfigFile.Key(nameof(ConfigFile.MaxRows)),
        JobSetting.Shard => "--shards",
        _ => null,
    };

    private static string? ConfigKey(ModelSetting setting) => setting switch
    {
        ModelSetting.ModelPath => ConfigFile.Key(nameof(ConfigFile.ModelPath)),
        ModelSetting.Device => ConfigFile.Key(nameof(ConfigFile.Device)),
        ModelSetting.CudaDevices => ConfigFile.Key(nameof(ConfigFile.CudaDevices)),
        ModelSetting.Precision => ConfigFile.Key(nameof(ConfigFile.Precision)),
        ModelSetting.Prompt => ConfigFile.Key(nameof(ConfigFile.Prompt)),
        ModelSetting.TruncateDimensions => ConfigFile.Key(nameof(ConfigFile.TruncateDim)),
        _ => null,
    };

    private static string Advice(ModelSetting setting) => setting == ModelSetting.Device
        ? " (A GPU build: dotnet publish -p:OnnxRuntimeFlavor=gpu, or the Docker image; DEVICE=cpu or device \"cpu\" runs on the CPU.)"
        : "";
}
