using DuckEmbed.Processor.Database;
using DuckEmbed.Processor.Input;
using DuckEmbed.Processor.Output;
using DuckEmbed.Processor.Pipeline;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace DuckEmbed.Processor;

/// <summary>
/// Embeds the texts of a DuckDB table into a new DuckDB table with any embedding generator. Reading, embedding
/// and writing run as stages joined by bounded channels, so the generator never waits on DuckDB; it is given the
/// next window while it still embeds one, and DuckDB writes the windows on several threads. Every row of a window is
/// committed in exactly one transaction, and a run resumes with the input rows whose ids are not in the output, so a
/// run that stops for any reason, whatever order its windows committed in, loses and repeats no row.
/// </summary>
public static class EmbeddingProcessor
{
    /// <summary>
    /// Key in <see cref="UsageDetails.AdditionalCounts"/> under which a generator may report how many texts it
    /// cut to its maximum length; the summary adds them up.
    /// </summary>
    public const string TruncatedTextsUsageKey = "truncated_texts";

    /// <summary>
    /// The checks that need no model, in well under a second whatever the table's size: the input file, table and
    /// columns, the id and text types, and the output path. A caller runs it before loading a model, so that a typo
    /// is not reported after a minute of model loading; <see cref="ProcessAsync"/> checks all of it again, and the
    /// values too.
    /// </summary>
    /// <exception cref="EmbeddingJobException">A setting is wrong; the message says which and how to fix it.</exception>
    public static void CheckSettings(EmbeddingJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var inputPath = Path.GetFullPath(job.InputDatabasePath);
        DatabaseFile.CheckOutput(job.OutputDatabasePath, inputPath);
        using var database = JobDatabase.OpenInput(inputPath, job.OutputDatabasePath, job.DuckDbMemoryLimit);
        OutputTable.CheckVectorColumnName(job, InputTable.Inspect(database.Connection, job, checkValues: false));
    }

    /// <summary>Runs <paramref name="job"/> to the end, resuming after whatever an earlier run committed.</summary>
    /// <param name="job">Input, output and names.</param>
    /// <param name="generator">Turns texts into embeddings; called once per window with up to
    /// <see cref="EmbeddingJob.WindowSize"/> texts, for up to <see cref="EmbeddingJob.GeneratorCalls"/> windows at once.</param>
    /// <param name="logger">Receives what the run does.</param>
    /// <param name="progress">Told when the run starts, after every window written (committed or about to be) and when its
    /// <see cref="EmbeddingStage"/> changes.</param>
    /// <param name="cancellationToken">Stops the run at a committed window boundary (the windows already embedded are committed first).</param>
    /// <exception cref="EmbeddingJobException">A setting or the data is wrong; the message says which and how to fix it.</exception>
    /// <exception cref="OperationCanceledException">The run was cancelled; every committed window stays.</exception>
    public static async Task<EmbeddingRunSummary> ProcessAsync(EmbeddingJob job,
        IEmbeddingGenerator<string, Embedding<float>> generator, ILogger logger,
        IProgress<EmbeddingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ValidateArguments(job, generator, logger);
        var inputPath = Path.GetFullPath(job.InputDatabasePath);
        // Before anything is opened: the output must not reach the input by any path, and must be a DuckDB file.
        DatabaseFile.CheckOutput(job.OutputDatabasePath, inputPath);
        var outputPath = Path.GetFullPath(job.OutputDatabasePath);

        var timer = new SimpleTimer();
        // The input is checked before the output file is created or opened: a wrong id column leaves no file behind.
        using var database = JobDatabase.OpenInput(inputPath, outputPath, job.DuckDbMemoryLimit);
        var table = InputTable.Inspect(database.Connection, job);
        var dimensions = ModelDimensions.Of(generator);
        // A new output is checked for room before its file is made; one to resume, once its rows are counted.
        var outputIsNew = !File.Exists(outputPath);
        if (outputIsNew)
        {
            DiskSpace.Check(database.Connection, job, table, Math.Min(table.RowCount, job.MaxRows ?? long.MaxValue), dimensions, JobDatabase.WalLimitBytes);
        }
        database.AttachOutput(outputPath, inputPath);
        var storedRecord = job.Overwrite ? [] : OutputTable.StoredRecord(database.Connection, job.OutputTable);
        if (VectorEncoding.HasInt8(job.VectorPrecision) && storedRecord.Count == 0)
        {
            progress?.Report(new EmbeddingProgress(0, 0, 0, timer.Elapsed) { Stage = EmbeddingStage.Calibrating });
        }
        // The table's own encoding (its int8 ranges), a table of another precision refused; or a new one.
        var encoding = Int8Calibration.Resumed(job, storedRecord)
            ?? await Int8Calibration.NewEncodingAsync(job, database.Connection, table, generator, logger, cancellationToken).ConfigureAwait(false);
        var record = OutputProvenance.Describe(job, table, generator);
        encoding.Ranges?.WriteTo(record);
        var outputTable = new OutputTable(database.Connection, job, table, encoding);
        outputTable.Prepare(record, job.Overwrite, dimensions);
        var stored = job.Sync ? outputTable.Changes.CompareForSync() : StoredRows.OfThisInput(outputTable.Changes.ReadRowsOfThisInput());
        var deleted = stored.Gone > 0 ? outputTable.Changes.DeleteGone() : 0;
        if (deleted != stored.Gone)
        {
            throw new InvalidOperationException($"{outputTable.Name} had {stored.Gone} rows whose ids are gone from the input, and {deleted} were deleted.");
        }
        if (job.Sync && stored.Rows > 0)
        {
            logger.Syncing(outputTable.Name, deleted, stored.Changed, stored.Unchanged);
        }
        else if (stored.Rows > 0)
        {
            logger.Resuming(stored.Rows, outputTable.Name);
        }
        // Rows present and left as they are: for a sync, the changed ones are embedded again with the new ids.
        var rowsPresent = stored.Unchanged;
        var remaining = Math.Min(table.RowCount - rowsPresent, job.MaxRows ?? long.MaxValue);
        // Never larger than the rows left: a large window on a small table must not cost memory for rows that
        // do not exist.
        var windowSize = (int)Math.Clamp(remaining, 1, job.WindowSize);
        logger.Embedding(remaining, table.RowCount, job.InputTable, windowSize);

        if (!outputIsNew)
        {
            DiskSpace.Check(database.Connection, job, table, remaining, dimensions, JobDatabase.WalLimitBytes);
        }
        var vectors = VectorCheck.For(job, generator);
        var counters = new RunCounters(rowsPresent, rowsPresent + remaining, table.RowCount, vectors) { Deleted = deleted };
        using (var reader = database.OpenReader())
        using (var writers = new OutputWriters(database, outputTable, job, logger))
        {
            var pipeline = new EmbeddingPipeline(generator, counters, vectors, timer)
            {
                Logger = logger,
                Progress = progress,
                GeneratorCalls = job.GeneratorCalls,
            };
            var source = new InputRowReader.Source(reader, table, job.MaxRows, windowSize, job.Sync, outputTable.Exists ? outputTable.Name : null);
            await pipeline.RunAsync(source, writers.All, cancellationToken).ConfigureAwait(false);
        }

        if (!outputTable.Exists)
        {
            // Nothing to write and no dimensions known: the table is still made, so that the run leaves its output.
            outputTable.Create(dimensions);
        }
        // Here rather than when the database closes, so that the wait has a name on the progress display.
        counters.Checkpointing();
        progress?.Report(counters.Progress(timer.Elapsed));
        database.Checkpoint();
        var summary = counters.Summary(timer.Elapsed);
        ConfirmCommitted(outputTable, summary, stored.Changed);
        logger.Wrote(summary.RowsWritten, summary.Elapsed.TotalSeconds, summary.RowsPerSecond, summary.TokensPerSecond);
        return summary;
    }

    private static void ValidateArguments(EmbeddingJob job, IEmbeddingGenerator<string, Embedding<float>> generator, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(logger);
        job.Shard?.Validate();
        if (job.MaxRows is < 0)
        {
            throw new EmbeddingJobException(JobSetting.MaxRows, $"The most rows to embed must not be negative, not {job.MaxRows}.");
        }
        if (job.Writers is < 1 or > EmbeddingJob.MaxWriters)
        {
            throw new EmbeddingJobException(JobSetting.Writers, $"The number of writers must be from 1 to {EmbeddingJob.MaxWriters}, not {job.Writers}.");
        }
        if (job.CommitInterval < TimeSpan.Zero)
        {
            throw new EmbeddingJobException(JobSetting.CommitInterval, $"The commit interval must not be negative, not {job.CommitInterval}.");
        }
        if (job.GeneratorCalls is < 1 or > EmbeddingJob.MaxGeneratorCalls)
        {
            throw new EmbeddingJobException(JobSetting.GeneratorCalls,
                $"The number of windows with the generator at once must be from 1 to {EmbeddingJob.MaxGeneratorCalls}, not {job.GeneratorCalls}.");
        }
        if (job.VectorPrecision != VectorPrecision.Float32 && job.VectorType == VectorColumnType.List)
        {
            throw new EmbeddingJobException(JobSetting.VectorPrecision,
                $"{VectorEncoding.Name(job.VectorPrecision)} vectors are stored as arrays; vector_type list is for float32 vectors. Leave vector_type out, or set vector_precision to float32.");
        }
        if (job.WindowSize is < 1 or > EmbeddingJob.MaxWindowSize)
        {
            throw new EmbeddingJobException(JobSetting.WindowSize,
                $"The window size must be from 1 to {EmbeddingJob.MaxWindowSize:N0} rows, not {job.WindowSize:N0}: every row of a window is in memory at once.");
        }
    }

    // "Done" only for rows the database holds: count them back rather than trust the tally.
    // changed: rows a sync found with another text; those it did not replace (a stop, max_rows) are still there.
    private static void ConfirmCommitted(OutputTable outputTable, EmbeddingRunSummary summary, long changed)
    {
        var committed = outputTable.CountRows();
        var notReplaced = changed - summary.RowsReplaced;
        if (committed != summary.RowsAlreadyPresent + summary.RowsWritten + notReplaced)
        {
            throw new InvalidOperationException(
                $"{outputTable.Name} holds {committed} rows after this run, not the {summary.RowsAlreadyPresent} found plus {summary.RowsWritten} written" +
                (notReplaced > 0 ? $" plus {notReplaced} changed ones not replaced yet." : "."));
        }
    }

}
