using System.Runtime.ExceptionServices;
using DuckEmbed.Onnx.Tokenization;

namespace DuckEmbed.Onnx.Inference;

/// <summary>
/// The encoders a generator runs on, one per device, and the loop that shares a call's batches among them: each
/// encoder takes the next batch as soon as it has finished one, so devices of unequal speed all stay busy until
/// the last batch. With one encoder the batches run in order on the calling thread. Calls may overlap: an encoder
/// runs one call's batches at a time, so a second call tokenized while the first runs waits for the device, not for
/// its own preparation.
/// </summary>
internal sealed class EncoderPool : IDisposable
{
    private readonly IReadOnlyList<IBatchEncoder> _encoders;

    // One per encoder, held while it runs a call's batches: two calls' batches interleaved on one device would both
    // finish late, and on the CPU would fight over its threads.
    private readonly Lock[] _inUse;

    public EncoderPool(IReadOnlyList<IBatchEncoder> encoders)
    {
        if (encoders.Count == 0 || encoders.Any(e => e.Dimensions != encoders[0].Dimensions))
        {
            throw new ArgumentException("An encoder pool needs one or more encoders of the same dimensions.", nameof(encoders));
        }
        _encoders = encoders;
        _inUse = [.. encoders.Select(_ => new Lock())];
    }

    public int Dimensions => _encoders[0].Dimensions;

    /// <summary>
    /// Embeds every batch of <paramref name="plan"/> (indices into <paramref name="texts"/>) into
    /// <paramref name="vectors"/> in the plan's order: a batch's row r at row (texts in the batches before it) + r, so
    /// each encoder writes its batch where it stays, with no copy after. Returns the row of each text's vector. The
    /// first failure stops the other encoders and is rethrown as it was.
    /// </summary>
    public int[] Run(IReadOnlyList<EncodedText> texts, IReadOnlyList<ArraySegment<int>> plan, Memory<float> vectors, CancellationToken cancellationToken)
    {
        var rows = PlanRows(texts.Count, plan);
        var work = new SharedBatches(texts, plan, rows, vectors);
        var workers = Math.Min(_encoders.Count, plan.Count);
        if (workers <= 1)
        {
            EncodeUntilDone(0, work, cancellationToken);
        }
        else
        {
            RunInParallel(workers, work, cancellationToken);
        }
        return rows;
    }

    private static int[] PlanRows(int texts, IReadOnlyList<ArraySegment<int>> plan)
    {
        var rows = new int[texts];
        var row = 0;
        foreach (var batch in plan)
        {
            foreach (var text in batch)
            {
                rows[text] = row++;
            }
        }
        return rows;
    }

    private void EncodeUntilDone(int encoder, SharedBatches work, CancellationToken cancellationToken)
    {
        lock (_inUse[encoder])
        {
            work.EncodeUntilDone(_encoders[encoder], cancellationToken);
        }
    }

    private void RunInParallel(int workers, SharedBatches work, CancellationToken cancellationToken)
    {
        using var stopOthers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var runs = Enumerable.Range(0, workers).Select(encoder => Task.Factory.StartNew(() =>
        {
            try
            {
                EncodeUntilDone(encoder, work, stopOthers.Token);
            }
            catch
            {
                stopOthers.Cancel();
                throw;
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        try
        {
            Task.WaitAll(runs, CancellationToken.None);
        }
        catch (AggregateException)
        {
            // An encoder's own failure is the cause; the other encoders only stopped because of it.
            var failure = runs.Where(r => r.IsFaulted).SelectMany(r => r.Exception!.InnerExceptions)
                .FirstOrDefault(e => e is not OperationCanceledException);
            if (failure is not null)
            {
                ExceptionDispatchInfo.Capture(failure).Throw();
            }
            cancellationToken.ThrowIfCancellationRequested();
            throw;
        }
    }

    /// <summary>
    /// One call's batches, handed out one at a time to whichever encoder asks first. Each encoder prepares its next
    /// batch (the inputs written into its buffers) on another thread while the device runs the current one, so that
    /// the device does not wait for the host between two runs.
    /// </summary>
    private sealed class SharedBatches(IReadOnlyList<EncodedText> texts, IReadOnlyList<ArraySegment<int>> plan, int[] rows, Memory<float> vectors)
    {
        private int _next = -1;

        /// <summary>Takes batches until none are left, each encoded straight into its rows of the call's vectors.</summary>
        public void EncodeUntilDone(IBatchEncoder encoder, CancellationToken cancellationToken)
        {
            var dimensions = encoder.Dimensions;
            var next = PrepareNext(encoder);
            try
            {
                while (next.Prepared is { } current)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    // A batch's texts have consecutive rows, from its first text's.
                    var batchRows = vectors.Span.Slice(rows[plan[next.Batch][0]] * dimensions, current.Texts.Count * dimensions);
                    next = default; // current is disposed below, whatever happens
                    var following = Task.Run(() => PrepareNext(encoder), CancellationToken.None);
                    try
                    {
                        encoder.Run(current, batchRows, cancellationToken);
                    }
                    catch
                    {
                        // The run's failure is the one that counts; the batch prepared meanwhile is let go.
                        following.ContinueWith(done => done.Result.Prepared?.Dispose(), CancellationToken.None,
                            TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                        throw;
                    }
                    finally
                    {
                        current.Dispose();
                    }
                    next = following.GetAwaiter().GetResult();
                }
            }
            finally
            {
                next.Prepared?.Dispose();
            }
        }

        private (int Batch, PreparedBatch? Prepared) PrepareNext(IBatchEncoder encoder)
        {
            var b = Interlocked.Increment(ref _next);
            if (b >= plan.Count)
            {
                return (b, null);
            }
            var indices = plan[b];
            var batch = new EncodedText[indices.Count];
            for (var row = 0; row < batch.Length; row++)
            {
                batch[row] = texts[indices[row]];
            }
            return (b, encoder.Prepare(batch));
        }
    }

    public void Dispose()
    {
        foreach (var encoder in _encoders)
        {
            encoder.Dispose();
        }
    }
}
