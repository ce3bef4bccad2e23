using System.Diagnostics;
using DuckEmbed.Processor.Database;
using DuckEmbed.Processor.Input;
using DuckEmbed.Processor.Output;
using DuckEmbed.Processor.Pipeline;
using Microsoft.Extensions.AI;

namespace DuckEmbed.Processor;

/// <summary>
/// What a run would do, found without doing it (a dry run): every check the run makes on its settings and input, the
/// rows it would embed, the room it needs and has, and how long it would take, from a sample of the texts embedded on
/// this machine. Nothing is written: the input and an existing output are opened read-only, and no output is made.
/// </summary>
/// <param name="InputRows">Rows in the input (this shard's, for a shard).</param>
/// <param name="RowsPresent">Of them, rows the output holds already (for a sync, with the input's text).</param>
/// <param name="RowsToEmbed">Rows the run would embed (for a sync, <see cref="RowsToReplace"/> among them).</param>
/// <param name="Disk">What the run needs beside its output; <c>null</c> where the file system has no size.</param>
/// <param name="SampleRows">Texts embedded for the estimate.</param>
/// <param name="SampleTime">How long they took.</param>
public sealed record EmbeddingPlan(long InputRows, long RowsPresent, long RowsToEmbed, DiskNeed? Disk, int SampleRows, TimeSpan SampleTime)
{
    /// <summary>Of <see cref="RowsToEmbed"/>, rows a sync would embed again because their text changed.</summary>
    public long RowsToReplace { get; init; }

    /// <summary>Rows a sync would delete, their ids gone from the input.</summary>
    public long RowsToDelete { get; init; }

    /// <summary>Texts embedded for the estimate, at most.</summary>
    public const int DefaultSampleSize = 256;

    /// <summary>The embedding time of <see cref="RowsToEmbed"/> at the sample's rate.</summary>
    public TimeSpan EstimatedTime => SampleRows == 0 ? TimeSpan.Zero : SampleTime * ((double)RowsToEmbed / SampleRows);

    /// <summary>Makes the plan of <paramref name="job"/> with <paramref name="generator"/>.</summary>
    /// <exception cref="EmbeddingJobException">A setting or the input is wrong, as the run would say.</exception>
    public static async Task<EmbeddingPlan> MakeAsync(EmbeddingJob job, IEmbeddingGenerator<string, Embedding<float>> generator,
        int sampleSize = DefaultSampleSize, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(generator);
        var inputPath = Path.GetFullPath(job.InputDatabasePath);
        DatabaseFile.CheckOutput(job.OutputDatabasePath, inputPath);
        using var database = JobDatabase.OpenInput(inputPath, job.OutputDatabasePath, job.DuckDbMemoryLimit);
        var table = InputTable.Inspect(database.Connection, job);
        var dimensions = ModelDimensions.Of(generator);
        var stored = !job.Overwrite && File.Exists(job.OutputDatabasePath) ? ReadStoredRows(database, job, table, inputPath, generator, dimensions) : default;
        var rowsToEmbed = Math.Min(table.RowCount - stored.Unchanged, job.MaxRows ?? long.MaxValue);
        var disk = DiskSpace.Estimate(database.Connection, job, table, rowsToEmbed, dimensions, JobDatabase.WalLimitBytes);

        var texts = Sample(database, table, sampleSize);
        TimeSpan time = default;
        if (texts.Count > 0)
        {
            // The first call pays for what a run pays once (the runtime's first allocations); not counted.
            await generator.GenerateAsync(texts.Take(8), cancellationToken: cancellationToken).ConfigureAwait(false);
            var timer = Stopwatch.StartNew();
            await generator.GenerateAsync(texts, cancellationToken: cancellationToken).ConfigureAwait(false);
            time = timer.Elapsed;
        }
        return new EmbeddingPlan(table.RowCount, stored.Unchanged, rowsToEmbed, disk, texts.Count, time)
        {
            RowsToReplace = Math.Min(stored.Changed, rowsToEmbed),
            RowsToDelete = stored.Gone,
        };
    }

    // What the output holds, with every check a run makes of an existing output (columns, provenance, and but for a
    // sync ids and texts against the input), the output opened read-only.
    private static StoredRows ReadStoredRows(JobDatabase database, EmbeddingJob job, InputTable table, string inputPath,
        IEmbeddingGenerator<string, Embedding<float>> generator, int? dimensions)
    {
        database.AttachExistingOutput(job.OutputDatabasePath, inputPath);
        var stored = OutputTable.StoredRecord(database.Connection, job.OutputTable);
        // A table of another precision is refused as the run would; int8's ranges are the table's, or found by the run.
        var encoding = Int8Calibration.Resumed(job, stored) ?? VectorEncoding.Unranged(job.VectorPrecision);
        return new OutputTable(database.Connection, job, table, encoding).CheckWithoutWriting(OutputProvenance.Describe(job, table, generator), dimensions, job.Sync);
    }

    // A random sample of the texts (the same each time), so that the rate holds for the whole table's lengths.
    private static List<string> Sample(JobDatabase database, InputTable table, int size)
    {
        using var command = database.Connection.CreateCommand();
        var text = SqlIdentifier.Quote(table.TextColumn);
        command.CommandText = $"SELECT t FROM (SELECT {text} AS t FROM {table.QualifiedName} WHERE {text} IS NOT NULL AND " +
            $"{table.RowsOfThisRun(SqlIdentifier.Quote(table.IdColumn))}) USING SAMPLE reservoir({Math.Max(0, size)} ROWS) REPEATABLE (7)";
        using var reader = command.ExecuteReader();
        var texts = new List<string>();
        while (reader.Read())
        {
            texts.Add(reader.GetString(0));
        }
        return texts;
    }
}
