using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using DuckEmbed.Processor.Input;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace DuckEmbed.Processor.Pipeline;

/// <summary>
/// One run's stages — reading the input's windows, embedding them, writing them with one writer per connection —
/// joined by bounded channels, so that the generator is given the next window while it still embeds one and never
/// waits on DuckDB, and memory stays flat. The first stage to fail stops the others; what was embedded before it is
/// committed all the same.
/// </summary>
/// <param name="generator">Turns each window's texts into vectors.</param>
/// <param name="counters">The run's tallies and stage, changed by the stages under a lock on it.</param>
/// <param name="vectors">Checks each vector before it is written.</param>
/// <param name="timer">Since the run started.</param>
internal sealed class EmbeddingPipeline(IEmbeddingGenerator<string, Embedding<float>> generator, RunCounters counters,
    VectorCheck vectors, SimpleTimer timer)
{
    // Two windows in flight per stage: enough to keep the generator busy, little enough to keep memory flat.
    private const int WindowsInFlight = 2;

    // Texts whose vectors are remembered across windows, for repeats that are not in the same window: ~25 MB of
    // vectors at 384 dimensions.
    private const int RecentTexts = 16_384;

    /// <summary>Receives what the stages do (a debug line per window).</summary>
    public required ILogger Logger { get; init; }

    /// <summary>Told each change of the tallies and the stage.</summary>
    public IProgress<EmbeddingProgress>? Progress { get; init; }

    /// <summary>Windows with the generator at once (<see cref="EmbeddingJob.GeneratorCalls"/>).</summary>
    public int GeneratorCalls { get; init; } = 1;

    /// <summary>
    /// Reads, embeds and writes every window of <paramref name="source"/>, each of <paramref name="writers"/> on a
    /// thread of its own; the first stage to fail stops the others, and its error is the one thrown.
    /// </summary>
    public async Task RunAsync(InputRowReader.Source source, IReadOnlyList<IWindowWriter> writers, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // A window the generator holds besides the first is one fewer waiting to be embedded: as many windows in memory
        // with two calls as with one.
        var readAhead = Math.Max(1, WindowsInFlight + 1 - GeneratorCalls);
        var read = Channel.CreateBounded<RowWindow>(new BoundedChannelOptions(readAhead) { SingleReader = true, SingleWriter = true });
        var recent = new RecentVectors(RecentTexts);
        var blocks = new VectorBlocks(ModelDimensions.Of(generator), vectors);
        var embedded = Channel.CreateBounded<RowWindow>(new BoundedChannelOptions(WindowsInFlight + writers.Count - 1)
        {
            SingleReader = writers.Count == 1,
            SingleWriter = GeneratorCalls == 1,
        });

        // The stages change the tallies and the stage one at a time, and each change is told as it happens.
        void Tell(Action<RunCounters> change)
        {
            lock (counters)
            {
                change(counters);
                Progress?.Report(counters.Progress(timer.Elapsed));
            }
        }
        Tell(static _ => { });

        var reading = RunStageAsync(read.Writer, async token =>
        {
            var first = true;
            foreach (var window in InputRowReader.ReadWindows(source, token))
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
            token => EmbedWindowsAsync(read.Reader, embedded.Writer, recent, blocks, stop, token), stop);

        void Report(RowWindow? written, WindowTally committed)
        {
            lock (counters)
            {
                if (committed.Rows > 0)
                {
                    counters.Committed(committed);
                    Logger.Committed(committed.Rows);
                }
                if (written is not null)
                {
                    Logger.WroteWindow(written.Count, timer.Lap().TotalMilliseconds);
                    Tell(c => c.Appended(written));
                }
            }
        }
        void Committing(bool starts) => Tell(c => c.Committing(starts));
        var writing = writers.Select(writer => Task.Run(async () =>
        {
            writer.Committing += Committing;
            try
            {
                // Drained to the end even when the run stops or another stage fails (a stage that ends completes its
                // channel, after the windows it passed on): what is embedded is committed, not embedded again.
                while (true)
                {
                    if (embedded.Reader.TryRead(out var window))
                    {
                        var committed = writer.Add(window);
                        blocks.Return(window);
                        Report(window, committed);
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
            finally
            {
                writer.Committing -= Committing;
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
    /// <see cref="GeneratorCalls"/> of them with the generator at once, each passed on as soon as it is embedded.
    /// A failing call stops the stage, and its own error, not the cancellation it caused, is the one that comes out.
    /// </summary>
    private async Task EmbedWindowsAsync(ChannelReader<RowWindow> windows, ChannelWriter<RowWindow> embedded, RecentVectors recent,
        VectorBlocks blocks, CancellationTokenSource stop, CancellationToken cancellationToken)
    {
        var calls = new List<Task>(GeneratorCalls);
        async Task EmbedAndPassOnAsync(WindowEmbedding plan)
        {
            try
            {
                await plan.EmbedAsync(generator, vectors, blocks, cancellationToken).ConfigureAwait(false);
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
                if (calls.Count == GeneratorCalls)
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
