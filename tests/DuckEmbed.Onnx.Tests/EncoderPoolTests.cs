using DuckEmbed.Onnx.Inference;
using DuckEmbed.Onnx.Tokenization;
using DuckEmbed.Tests;

namespace DuckEmbed.Onnx.Tests;

/// <summary>Batches shared among several devices (one per GPU), with fake devices and with two real CPU sessions.</summary>
public sealed class EncoderPoolTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>A device that writes (text length, its own number) for every text and records the batches it ran.</summary>
    private sealed class FakeDevice(int number, Action<int>? onRun = null) : IBatchEncoder
    {
        public List<int> Batches { get; } = [];

        public int Dimensions => 2;

        public void Encode(IReadOnlyList<EncodedText> batch, Span<float> embeddings, CancellationToken cancellationToken)
        {
            lock (Batches)
            {
                Batches.Add(batch.Count);
            }
            onRun?.Invoke(Batches.Count);
            for (var i = 0; i < batch.Count; i++)
            {
                embeddings[2 * i] = batch[i].Ids.Length;
                embeddings[2 * i + 1] = number;
            }
        }

        public void Dispose() { }
    }

    private static EncodedText[] Texts(int count) => Enumerable.Range(1, count).Select(n => new EncodedText(new int[n], false)).ToArray();

    private static ArraySegment<int>[] Plan(EncodedText[] texts, int batchSize) =>
        [.. LengthSortedBatches.Plan(texts, batchSize, int.MaxValue)];

    [Fact]
    public void Every_text_gets_its_own_embedding_once_whichever_device_ran_its_batch()
    {
        // Both devices must hold a batch at once before either goes on, so both take part in the call.
        using var bothStarted = new Barrier(2);
        void Meet(int run)
        {
            if (run == 1 && !bothStarted.SignalAndWait(TimeSpan.FromSeconds(30)))
            {
                throw new TimeoutException("the other device never ran a batch at the same time");
            }
        }
        FakeDevice[] devices = [new(1, Meet), new(2, Meet)];
        using var pool = new EncoderPool(devices);
        var texts = Texts(100);
        var vectors = new float[texts.Length * 2];

        pool.Run(texts, Plan(texts, batchSize: 8), vectors, CancellationToken.None);

        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(texts[i].Ids.Length, vectors[2 * i]);
        }
        Assert.Equal(100, devices.Sum(d => d.Batches.Sum()));
        Assert.All(devices, d => Assert.NotEmpty(d.Batches));
        Assert.Equal(texts.Length, Enumerable.Range(0, texts.Length).Count(i => vectors[2 * i + 1] is 1 or 2));
    }

    [Fact]
    public void Each_batch_is_written_where_the_plan_puts_it_and_the_rows_returned_find_every_texts_vector()
    {
        FakeDevice[] devices = [new(1), new(2)];
        using var pool = new EncoderPool(devices);
        // Lengths in no order: the length-sorted plan puts the texts in another order than the call's.
        var texts = Enumerable.Range(0, 60).Select(i => new EncodedText(new int[1 + (i * 37 % 60)], false)).ToArray();
        var plan = Plan(texts, batchSize: 7);
        var vectors = new float[texts.Length * 2];

        var rows = pool.Run(texts, plan, vectors, CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, texts.Length), rows.Order());
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(texts[i].Ids.Length, vectors[2 * rows[i]]);
        }
    }

    /// <summary>A device that records when it prepares and runs each batch, and holds each run until the next batch is prepared.</summary>
    private sealed class PrefetchingDevice : IBatchEncoder
    {
        private int _prepared;
        private int _runs;

        public List<string> Events { get; } = [];

        public int Dimensions => 1;

        public PreparedBatch Prepare(IReadOnlyList<EncodedText> batch)
        {
            lock (Events)
            {
                Events.Add($"prepare {batch.Count}");
            }
            Interlocked.Increment(ref _prepared);
            return new PreparedBatch(batch, null);
        }

        public void Run(PreparedBatch batch, Span<float> embeddings, CancellationToken cancellationToken)
        {
            // The batch after this one is prepared while this one runs: its Prepare comes before this run ends.
            var run = Interlocked.Increment(ref _runs);
            Assert.True(run == 4 || SpinWait.SpinUntil(() => Volatile.Read(ref _prepared) > run, Patience), "the next batch was not prepared while this one ran");
            lock (Events)
            {
                Events.Add($"run {batch.Texts.Count}");
            }
            embeddings[..batch.Texts.Count].Fill(1);
        }

        public void Encode(IReadOnlyList<EncodedText> batch, Span<float> embeddings, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("the pool runs prepared batches");

        public void Dispose() { }
    }

    [Fact]
    public void The_next_batch_is_prepared_while_the_device_runs_the_current_one()
    {
        using var device = new PrefetchingDevice();
        using var pool = new EncoderPool([device]);
        var texts = Texts(16);
        var vectors = new float[texts.Length];

        pool.Run(texts, Plan(texts, batchSize: 4), vectors, CancellationToken.None);

        Assert.All(vectors, v => Assert.Equal(1, v));
        // Prepared ahead: the second batch before the first run ends, and so on; four of each in all.
        Assert.Equal(["prepare 4", "prepare 4", "run 4", "prepare 4", "run 4", "prepare 4", "run 4", "run 4"], device.Events);
    }

    [Fact]
    public void A_failing_device_stops_the_others_and_its_own_error_comes_out()
    {
        var slow = new FakeDevice(1, _ => Thread.Sleep(5));
        var broken = new FakeDevice(2, _ => throw new InvalidOperationException("device 2 broke"));
        using var pool = new EncoderPool([slow, broken]);
        var texts = Texts(400);

        var error = Assert.Throws<InvalidOperationException>(() => pool.Run(texts, Plan(texts, batchSize: 1), new float[texts.Length * 2], CancellationToken.None));

        Assert.Equal("device 2 broke", error.Message);
        Assert.True(slow.Batches.Count < 399, $"the healthy device ran {slow.Batches.Count} of 400 batches after the other failed");
    }

    [Fact]
    public void Cancelling_stops_every_device()
    {
        using var cancel = new CancellationTokenSource();
        FakeDevice[] devices = [new(1, run => { if (run == 3) { cancel.Cancel(); } }), new(2, _ => Thread.Sleep(1))];
        using var pool = new EncoderPool(devices);
        var texts = Texts(400);

        Assert.ThrowsAny<OperationCanceledException>(() => pool.Run(texts, Plan(texts, batchSize: 1), new float[texts.Length * 2], cancel.Token));
        Assert.True(devices.Sum(d => d.Batches.Count) < 400);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Calls_at_once_never_run_two_batches_on_one_device_and_each_gets_its_own_embeddings(int deviceCount)
    {
        var running = new int[deviceCount + 1];
        var overlaps = 0;
        void Run(int device)
        {
            if (Interlocked.Increment(ref running[device]) > 1)
            {
                Interlocked.Increment(ref overlaps);
            }
            Thread.Sleep(2);
            Interlocked.Decrement(ref running[device]);
        }
        var devices = Enumerable.Range(1, deviceCount).Select(n => new FakeDevice(n, _ => Run(n))).ToArray();
        using var pool = new EncoderPool(devices);
        var calls = Enumerable.Range(0, 4).Select(c => Texts(30 + c)).ToArray();
        var vectors = calls.Select(texts => new float[texts.Length * 2]).ToArray();

        // A thread per call, all started together: the calls do overlap.
        using var start = new Barrier(calls.Length);
        var threads = Enumerable.Range(0, calls.Length).Select(c => new Thread(() =>
        {
            start.SignalAndWait(Patience);
            pool.Run(calls[c], Plan(calls[c], batchSize: 4), vectors[c], CancellationToken.None);
        })).ToArray();
        Array.ForEach(threads, t => t.Start());
        Array.ForEach(threads, t => t.Join());

        Assert.Equal(0, overlaps);
        for (var c = 0; c < calls.Length; c++)
        {
            Assert.Equal(calls[c].Select(t => (float)t.Ids.Length), Enumerable.Range(0, calls[c].Length).Select(i => vectors[c][2 * i]));
        }
    }

    [Fact]
    public async Task Two_sessions_sharing_the_batches_give_the_reference_embeddings_on_every_row()
    {
        using var generator = SentenceEmbeddingGenerator.Create(ModelSource.Bundled(),
            new SentenceEmbeddingOptions { MaxBatchSize = 8, CpuSessions = 2, IntraOpThreads = 1 });
        var rows = ReferenceRow.All;

        var embeddings = await generator.GenerateAsync(rows.Select(r => r.Text));

        var lowest = rows.Select((r, i) => VectorMath.Cosine(embeddings[i].Vector.Span, r.Embedding)).Min();
        Assert.True(lowest >= 0.9999, $"lowest cosine {lowest:F7}");
    }
}
