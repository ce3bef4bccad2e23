using System.Runtime.ExceptionServices;
using DuckEmbed.Onnx.Tokenization;

namespace DuckEmbed.Onnx;

/// <summary>
/// The encoders a generator runs on, one per device, and the loop that shares a call's batches among them: each
/// encoder takes the next batch as soon as it has finished one, so devices of unequal speed all stay busy until
/// the last batch. With one encoder the batches run in order on the calling thread.
/// </summary>
internal sealed class EncoderPool : IDisposable
{
    private readonly IReadOnlyList<IBatchEncoder> _encoders;

    public EncoderPool(IReadOnlyList<IBatchEncoder> encoders)
    {
        if (encoders.Count == 0 || encoders.Any(e => e.Dimensions != encoders[0].Dimensions))
        {
            throw new ArgumentException("An encoder pool needs one or more encoders of the same dimensions.", nameof(encoders));
        }
        _encoders = encoders;
    }

    public int Dimensions => _encoders[0].Dimensions;

    /// <summary>
    /// Embeds every batch of <paramref name="plan"/> (indices into <paramref name="texts"/>); text i's embedding is
    /// written to row i of <paramref name="vectors"/>. The first failure stops the other encoders and is rethrown as it was.
    /// </summary>
    public void Run(IReadOnlyList<EncodedText> texts, IReadOnlyList<ArraySegment<int>> plan, float[] vectors, CancellationToken cancellationToken)
    {
        var largestBatch = plan.Count == 0 ? 0 : plan.Max(b => b.Count);
        var next = -1;
        void Work(IBatchEncoder encoder, CancellationToken token)
        {
            var dimensions = encoder.Dimensions;
            var batchVectors = new float[largestBatch * dimensions];
            var batch = new List<EncodedText>(largestBatch);
            int b;
            while ((b = Interlocked.Increment(ref next)) < plan.Count)
            {
                token.ThrowIfCancellationRequested();
                var indices = plan[b];
                batch.Clear();
                foreach (var index in indices)
                {
                    batch.Add(texts[index]);
                }
                encoder.Encode(batch, batchVectors, token);
                for (var row = 0; row < indices.Count; row++)
                {
                    batchVectors.AsSpan(row * dimensions, dimensions).CopyTo(vectors.AsSpan(indices[row] * dimensions, dimensions));
                }
            }
        }

        var workers = Math.Min(_encoders.Count, plan.Count);
        if (workers <= 1)
        {
            Work(_encoders[0], cancellationToken);
            return;
        }
        using var stopOthers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var runs = _encoders.Take(workers).Select(encoder => Task.Factory.StartNew(() =>
        {
            try
            {
                Work(encoder, stopOthers.Token);
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

    public void Dispose()
    {
        foreach (var encoder in _encoders)
        {
            encoder.Dispose();
        }
    }
}
