using Microsoft.Extensions.Logging;

namespace DuckEmbed.Processor;

/// <summary>
/// Every line the processor logs, in one place, source-generated (nothing is formatted for a level that is off), each
/// with its own event id for whoever filters a run's log.
/// </summary>
internal static partial class ProcessorLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Embedding {Remaining} of {Total} rows from {Table} in windows of {WindowSize}")]
    public static partial void Embedding(this ILogger logger, long remaining, long total, string table, int windowSize);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Resuming: {Rows} rows already in {Table}; embedding the input rows not in it yet")]
    public static partial void Resuming(this ILogger logger, long rows, string table);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Syncing {Table}: {Deleted} rows deleted (ids gone from the input), {Changed} changed texts to embed again, {Unchanged} rows unchanged")]
    public static partial void Syncing(this ILogger logger, string table, long deleted, long changed, long unchanged);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Wrote {Rows} rows in {Seconds:F1} s ({RowsPerSecond:F1} rows/s, {TokensPerSecond:F0} tokens/s)")]
    public static partial void Wrote(this ILogger logger, long rows, double seconds, double rowsPerSecond, double tokensPerSecond);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Calibrating int8: embedding {Count} texts of the input for each dimension's range (once; kept in the output's record)")]
    public static partial void CalibratingInt8(this ILogger logger, int count);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Merged shard {Index}: {Rows} rows")]
    public static partial void MergedShard(this ILogger logger, int index, long rows);

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Writing through DuckDB's parallel insert, {Threads} threads")]
    public static partial void WritingInParallel(this ILogger logger, int threads);

    [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "Writing with {Writers} appenders")]
    public static partial void WritingWithAppenders(this ILogger logger, int writers);

    [LoggerMessage(EventId = 12, Level = LogLevel.Debug, Message = "Committed {Rows} rows")]
    public static partial void Committed(this ILogger logger, long rows);

    [LoggerMessage(EventId = 13, Level = LogLevel.Debug, Message = "Wrote {Rows} rows in {Milliseconds:F0} ms")]
    public static partial void WroteWindow(this ILogger logger, int rows, double milliseconds);
}
