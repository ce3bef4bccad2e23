using Microsoft.Extensions.Logging;

namespace DuckEmbed.Onnx;

/// <summary>
/// Every line the embedder logs, in one place, source-generated (nothing is formatted for a level that is off), each
/// with its own event id for whoever filters a run's log.
/// </summary>
internal static partial class OnnxLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Running on the CPU (device cpu)")]
    public static partial void RunningOnCpuAsAsked(this ILogger logger);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Running on {Devices} (device {Device})")]
    public static partial void RunningOnCuda(this ILogger logger, string devices, string device);

    /// <summary>Information when CUDA is simply not there; a warning when it is there and failed.</summary>
    [LoggerMessage(EventId = 3, Message = "Running on the CPU: CUDA is not available ({Reason})")]
    public static partial void RunningOnCpuWithoutCuda(this ILogger logger, LogLevel level, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Precision int8 runs on the CPU (ONNX Runtime has no CUDA kernel for it): device auto chooses the CPU")]
    public static partial void Int8ChoosesCpu(this ILogger logger);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Precision {Precision}{PrecisionSource}, batches of up to {BatchSize} texts{BatchSource} and {Tokens} token cells, {Lengths}")]
    public static partial void Batches(this ILogger logger, string precision, string precisionSource, int batchSize, string batchSource, int tokens, string lengths);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Model {ModelId} from {Location}: {Dimensions} dimensions, max {MaxLength} tokens, {Pooling} pooling{Prompt}")]
    public static partial void Model(this ILogger logger, string modelId, string location, int dimensions, int maxLength, string pooling, string prompt);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "{Where} ran out of memory on {Rows} texts of {Length} tokens; trying {Half}")]
    public static partial void WarmUpOutOfMemory(this ILogger logger, string where, int rows, int length, int half);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "{Where} holds runs of {Rows} texts of {Length} tokens, not {Largest}: each run is capped at {Cells} token cells (cuda_memory_limit, max_batch_tokens or a smaller BATCH_SIZE set this)")]
    public static partial void WarmUpFitted(this ILogger logger, string where, int rows, int length, int largest, int cells);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Out of device memory on a batch of {Texts} texts of up to {Tokens} tokens; running it as two halves")]
    public static partial void BatchOutOfMemory(this ILogger logger, int texts, int tokens);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "CUDA device {Device}: no pinned host memory ({Reason}); inputs are copied from ordinary memory")]
    public static partial void NoPinnedMemory(this ILogger logger, int device, string reason);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Converted {Precision} model read from {Path}")]
    public static partial void ConvertedModelRead(this ILogger logger, string precision, string path);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "Converted model stored in {Path} for the next run")]
    public static partial void ConvertedModelStored(this ILogger logger, string path);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "The converted model cache {Path} cannot be read ({Reason}); converting again")]
    public static partial void ConvertedModelUnreadable(this ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "The converted model cache {Path} {Problem}: not used; converting again and replacing it")]
    public static partial void ConvertedModelRefused(this ILogger logger, string path, string problem);

    [LoggerMessage(EventId = 24, Level = LogLevel.Warning, Message = "The converted model cannot be stored in {Directory} ({Reason}); the next run converts it again")]
    public static partial void ConvertedModelNotStored(this ILogger logger, string directory, string reason);

    [LoggerMessage(EventId = 25, Level = LogLevel.Debug, Message = "{Temporary} not deleted: {Reason}")]
    public static partial void TemporaryNotDeleted(this ILogger logger, string temporary, string reason);
}
