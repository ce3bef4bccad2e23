using Microsoft.Extensions.Logging;

namespace DuckEmbed.Cli;

/// <summary>The lines the command line logs itself (the processor's and the embedder's have their own), source-generated.</summary>
internal static partial class CliLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Shard {Index} of {Count} (index from {Source}) into {Path}")]
    public static partial void Shard(this ILogger logger, int index, int count, string? source, string path);
}
