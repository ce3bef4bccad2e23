using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using DuckDB.NET.Data;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace DuckEmbed.Processor;

/// <summary>
/// Embeds the texts of a DuckDB table into a new DuckDB table with any embedding generator. Reading, embedding
/// and writing run as stages joined by bounded channels, so the generator never waits on DuckDB; it is given the
/// next window while it still embeds one, and several writers commit windows side by side. Each window of rows is
/// committed in one transaction, and a run resumes with the input rows whose ids are not in the output, so a run
/// that stops for any reason, whatever order its windows committed in, loses and repeats no row.
/// </summary>
public static class EmbeddingProcessor
{
    /// <summary>
    /// Key in <see cref="UsageDetails.AdditionalCounts"/> under which a generator may report how many texts it
    /// cut to its maximum length; the summary adds them up.
    /// </summary>
    public const string TruncatedTextsUsageKey = "truncated_texts";

    // Two windows in flight per stage: enough to keep the generator busy, little enough to keep memory flat.
    private const int WindowsInFlight = 2;

    // Texts whose vectors are remembered across windows, for repeats that are not in the same window: ~25 MB of
    // vectors at 384 dimensions.
    private const int RecentTexts = 16_384;

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
        var encoding = await Int8Calibration.EncodingForAsync(job, storedRecord, database.Connection, table, generator, logger, cancellationToken).ConfigureAwait(false);
        var record = OutputProvenance.Describe(job, table, generator);
        encoding.Ranges?.WriteTo(record);
        var outputTable = new OutputTable(database.Connection, job, table, encoding);
        outputTable.Prepare(record, job.Overwrite, dimensions);
        var stored = job.Sync ? outputTable.CompareForSync() : StoredRows.OfThisInput(outputTable.ReadRowsOfThisInput());
        var deleted = stored.Gone > 0 ? outputTable.DeleteGone() : 0;
        if (deleted != stored.Gone)
        {
            throw new InvalidOperationException($"{outputTable.Name} had {stored.Gone} rows whose ids are gone from the input, and {deleted} were deleted.");
        }
        if (job.Sync && stored.Rows > 0)
        {
            logger.LogInformation("Syncing {Table}: {Deleted} rows deleted (ids gone from the input), {Changed} changed texts to embed again, {Unchanged} rows unchanged",
                outputTable.Name, deleted, stored.Changed, stored.Unchanged);
        }
        else if (stored.Rows > 0)
        {
            logger.LogInformation("Resuming: {Rows} rows already in {Table}; embedding the input rows not in it yet", stored.Rows, outputTable.Name);
        }
        // Rows present and left as they are: for a sync, the changed ones are embedded again with the new ids.
        var rowsPresent = stored.Unchanged;
        var remaining = Math.Min(table.RowCount - rowsPresent, job.MaxRows ?? long.MaxValue);
        // Never larger than the rows left: a large window on a small table must not cost memory for rows that
        // do not exist.
        var windowSize = (int)Math.Clamp(remaining, 1, job.WindowSize);
        logger.LogInformation("Embedding {Remaining} of {Total} rows from {Table} in windows of {WindowSize}",
            remaining, table.RowCount, job.InputTable, windowSize);

        if (!outputIsNew)
        {
            DiskSpace.Check(database.Connection, job, table, remaining, dimensions, JobDatabase.WalLimitBytes);
        }
        var vectors = VectorCheck.For(job, generator);
        database.UseWritersThreadsOnly();
        var counters = new RunCounters(rowsPresent, rowsPresent + remaining, table.RowCount, vectors) { Deleted = deleted };
        using (var reader = database.OpenReader())
        {
            var writers = new List<DuckDBConnection> { database.Connection };
            try
            {
                writers.AddRange(Enumerable.Range(1, job.Writers - 1).Select(_ => database.OpenReader()));
                await RunStagesAsync(new InputRowReader.Source(reader, table, job.MaxRows, windowSize, job.Sync), outputTable, writers, job.CommitInterval, generator, job.GeneratorCalls, counters, vectors, timer,
                    logger, progress, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                writers.Skip(1).ToList().ForEach(w => w.Dispose());
            }
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
        logger.LogInformation("Wrote {Rows} rows in {Seconds:F1} s ({RowsPerSecond:F1} rows/s, {TokensPerSecond:F0} tokens/s)",
            summary.RowsWritten, summary.Elapsed.TotalSeconds, summary.RowsPerSecond, summary.TokensPerSecond);
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

    /// <summary>
    /// Reading, embedding and writing as three stages joined by bounded channels, the writing done by one writer per
    /// connection in <paramref name="writers"/>; the first stage to fail stops the
    /// others, and its error is the one reported.
    /// </summary>
    private static async Task RunStagesAsync(InputRowReader.Source source, OutputTable outputTable, List<DuckDBConnection> writers, TimeSpan commitInterval,
        IEmbeddingGenerator<string, Embedding<float>> generator, int generatorCalls, RunCounters counters, VectorCheck vectors, SimpleTimer timer, ILogger logger,
        IProgress<EmbeddingProgress>? progress, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // A window the generator holds besides the first is one fewer waiting to be embedded: as many windows in memory
        // with two calls as with one.
        var readAhead = Math.Max(1, WindowsInFlight + 1 - generatorCalls);
        var read = Channel.CreateBounded<RowWindow>(new BoundedChannelOptions(readAhead) { SingleReader = true, SingleWriter = true });
        var recent = new RecentVectors(RecentTexts);
        var embedded = Channel.CreateBounded<RowWindow>(new BoundedChannelOptions(WindowsInFlight + writers.Count - 1)
        {
            SingleReader = writers.Count == 1,
            SingleWriter = generatorCalls == 1,
        });

        // The stages change the tallies and the stage one at a time, and each change is told as it happens.
        void Tell(Action<RunCounters> change)
        {
            lock (counters)
            {
                change(counters);
                progress?.Report(counters.Progress(timer.Elapsed));
            }
        }
        Tell(static _ => { });

        var reading = RunStageAsync(read.Writer, async token =>
        {
            var first = true;
            foreach (var window in InputRowReader.ReadWindows(source, outputTable.Exists ? outputTable.Name : null, token))
            {
                if (first)
                {
                    first = false;
                    Tell(static c => c.FirstWindowRead());
                }
                await read.Writer.WriteAsync(window, token).ConfigureAwait(false);
            }
        }, stop);
        var embedding = RunStageAsync(embedded.Writer,
            token => EmbedWindowsAsync(read.Reader, embedded.Writer, generator, generatorCalls, vectors, recent, stop, token), stop);

        void Report(RowWindow? written, WindowTally committed)
        {
            lock (counters)
            {
                if (committed.Rows > 0)
                {
                    counters.Committed(committed);
                    logger.LogDebug("Committed {Rows} rows", committed.Rows);
                }
                if (written is not null)
                {
                    logger.LogDebug("Wrote {Rows} rows in {Milliseconds:F0} ms", written.Count, timer.Lap().TotalMilliseconds);
                    Tell(c => c.Appended(written));
                }
            }
        }
        var writing = writers.Select(connection => Task.Run(async () =>
        {
            using var writer = new OutputWriter(outputTable, connection, commitInterval, starts => Tell(c => c.Committing(starts)));
            try
            {
                // Drained to the end even when the run stops or another stage fails (a stage that ends completes its
                // channel, after the windows it passed on): what is embedded is committed, not embedded again.
                while (true)
                {
                    if (embedded.Reader.TryRead(out var window))
                    {
                        Report(window, writer.Add(window));
                        continue;
                    }
                    // No window yet: the ones written are committed when due even if the next is slow to come.
                    var next = embedded.Reader.WaitToReadAsync(CancellationToken.None).AsTask();
                    if (writer.TimeToCommit is { } due && await Task.WhenAny(next, Task.Delay(due, CancellationToken.None)).ConfigureAwait(false) != next)
                    {
                        Report(null, writer.Commit());
                    }
                    if (!await next.ConfigureAwait(false))
                    {
                        break;
                    }
                }
                Report(null, writer.Commit());
            }
            catch
            {
                // A channel completed with another stage's error ends the loop with it: the windows embedded before it
                // are committed all the same.
                try
                {
                    Report(null, writer.Commit());
                }
                finally
                {
                    await stop.CancelAsync().ConfigureAwait(false);
                }
                throw;
            }
        })).ToArray();

        Task[] stages = [reading, embedding, .. writing];
        try
        {
            await Task.WhenAll(stages).ConfigureAwait(false);
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            // In data order: a read error explains an embedding stage that saw no more rows.
            var cause = await FirstFailureAsync(stages).ConfigureAwait(false);
            if (cause is null)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw;
            }
            ExceptionDispatchInfo.Throw(cause);
        }
    }

    /// <summary>
    /// The embedding stage: windows planned in order (which rows reuse which vector), and up to
    /// <paramref name="generatorCalls"/> of them with the generator at once, each passed on as soon as it is embedded.
    /// A failing call stops the stage, and its own error, not the cancellation it caused, is the one that comes out.
    /// </summary>
    private static async Task EmbedWindowsAsync(ChannelReader<RowWindow> windows, ChannelWriter<RowWindow> embedded,
        IEmbeddingGenerator<string, Embedding<float>> generator, int generatorCalls, VectorCheck vectors, RecentVectors recent,
        CancellationTokenSource stop, CancellationToken cancellationToken)
    {
        var calls = new List<Task>(generatorCalls);
        async Task EmbedAndPassOnAsync(WindowEmbedding plan)
        {
            try
            {
                await plan.EmbedAsync(generator, vectors, cancellationToken).ConfigureAwait(false);
                await embedded.WriteAsync(plan.Window, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await stop.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }
        try
        {
            await foreach (var window in windows.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (calls.Count == generatorCalls)
                {
                    var done = await Task.WhenAny(calls).ConfigureAwait(false);
                    await done.ConfigureAwait(false);
                    calls.Remove(done);
                }
                calls.Add(EmbedAndPassOnAsync(WindowEmbedding.Plan(window, recent)));
            }
            await Task.WhenAll(calls).ConfigureAwait(false);
        }
        catch when (calls.Count > 0)
        {
            if (await FirstFailureAsync(calls).ConfigureAwait(false) is { } cause)
            {
                ExceptionDispatchInfo.Throw(cause);
            }
            throw;
        }
    }

    /// <summary>
    /// Waits for every one of <paramref name="tasks"/> to end and gives the first one's own failure, in their order:
    /// not a cancellation, which a failing task causes in the others. <c>null</c> if none failed otherwise.
    /// </summary>
    private static async Task<Exception?> FirstFailureAsync(IReadOnlyCollection<Task> tasks)
    {
        await Task.WhenAll(tasks).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
        return tasks.Select(t => t.Exception?.InnerException).FirstOrDefault(e => e is not null and not OperationCanceledException);
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

    private static Task RunStageAsync(ChannelWriter<RowWindow> output, Func<CancellationToken, Task> body, CancellationTokenSource stop) =>
        Task.Run(async () =>
        {
            try
            {
                await body(stop.Token).ConfigureAwait(false);
                output.Complete();
            }
            catch (Exception e)
            {
                output.Complete(e);
                await stop.CancelAsync().ConfigureAwait(false);
                throw;
            }
        });
}
