using System.Globalization;
using DuckDB.NET.Data;
using DuckEmbed.Processor.Input;
using DuckEmbed.Processor.Output;

namespace DuckEmbed.Processor.Database;

/// <summary>
/// Whether a run fits beside its output: what it will write (the rows left × their vector, text and id), DuckDB's
/// write-ahead log and its spill of the sorted input, against the free space of the output's folder — checked before
/// anything is written, so that a disk that would fill hours in refuses the run in its first second.
/// </summary>
internal static class DiskSpace
{
    // DuckDB's bytes per row beyond the values themselves (validity, string headers, block slack), measured on the
    // processor benchmark's output: 1,635 MB for 1M rows of 384 floats and ~430 characters is 1,635 a row, 1,536 + 430
    // of values — so this is generous rather than exact.
    private const long RowOverhead = 32;

    /// <summary>What a run of <paramref name="rowsLeft"/> rows needs beside its output, and what is free there.</summary>
    /// <param name="connection">A connection with the input attached.</param>
    /// <param name="job">The run (its output path).</param>
    /// <param name="table">The input table.</param>
    /// <param name="rowsLeft">Rows this run will write.</param>
    /// <param name="dimensions">The vectors' length, where the generator says it (else only texts and ids count).</param>
    /// <param name="walLimitBytes">The most write-ahead log DuckDB keeps beside the output.</param>
    /// <returns><c>null</c> where the file system has no size (sysfs, procfs): it says nothing about room, and opening
    /// the output says the rest.</returns>
    public static DiskNeed? Estimate(DuckDBConnection connection, EmbeddingJob job, InputTable table, long rowsLeft, int? dimensions, long walLimitBytes)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(job.OutputDatabasePath))!;
        var drive = new DriveInfo(folder);
        if (drive.TotalSize == 0)
        {
            return null;
        }
        var textBytesPerRow = AverageTextBytes(connection, table);
        var vectorBytes = job.VectorPrecision switch
        {
            VectorPrecision.Int8 => dimensions ?? 0,
            VectorPrecision.Binary => VectorEncoding.Words(dimensions ?? 0) * (long)sizeof(ulong),
            VectorPrecision.BinaryInt8 => VectorEncoding.Words(dimensions ?? 0) * (long)sizeof(ulong) + (dimensions ?? 0),
            _ => (dimensions ?? 0) * (long)sizeof(float),
        };
        var perRow = vectorBytes + textBytesPerRow + RowOverhead;
        var output = rowsLeft * perRow;
        // Reading in id order sorts the rows left (ids and texts); beyond DuckDB's memory limit the sort spills.
        return new DiskNeed(folder, perRow, output, Math.Min(walLimitBytes, output), rowsLeft * (textBytesPerRow + RowOverhead), drive.AvailableFreeSpace);
    }

    /// <summary>Throws if the run's estimated need exceeds the free space where the output goes (unless the job says not to check).</summary>
    public static void Check(DuckDBConnection connection, EmbeddingJob job, InputTable table, long rowsLeft, int? dimensions, long walLimitBytes)
    {
        if (job.CheckDiskSpace && rowsLeft > 0 && Estimate(connection, job, table, rowsLeft, dimensions, walLimitBytes) is { Fits: false } need)
        {
            throw new EmbeddingJobException(JobSetting.OutputDatabasePath,
                $"{rowsLeft.ToString("N0", CultureInfo.InvariantCulture)} rows need about {need.Describe()}. " +
                "Free space or choose another output_db_path, or set check_disk_space to false to run anyway (a disk that fills keeps every committed row).");
        }
    }

    private static long AverageTextBytes(DuckDBConnection connection, InputTable table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT coalesce(avg(strlen({SqlIdentifier.Quote(table.TextColumn)})), 0)::BIGINT FROM {table.QualifiedName} " +
            $"WHERE {table.RowsOfThisRun(SqlIdentifier.Quote(table.IdColumn))}";
        return (long)command.ExecuteScalar()!;
    }

    internal static string Size(long bytes)
    {
        string[] units = ["KB", "MB", "GB", "TB"];
        var (value, unit) = ((double)bytes, -1);
        while (value >= 1024 && unit < units.Length - 1)
        {
            (value, unit) = (value / 1024, unit + 1);
        }
        return unit < 0 ? $"{bytes} bytes" : string.Create(CultureInfo.InvariantCulture, $"{value:F1} {units[unit]}");
    }
}
