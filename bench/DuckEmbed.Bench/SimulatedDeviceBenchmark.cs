using System.Diagnostics;
using System.Globalization;
using DuckEmbed.Onnx;
using DuckEmbed.Onnx.Inference;
using DuckEmbed.Onnx.Tokenization;
using DuckEmbed.Processor;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Bench;

/// <summary>
/// The host's side of a GPU run on a machine without a GPU: the real processor, DuckDB and tokenizer around a simulated
/// device that takes a fixed time per padded token cell and none of the host's cores (it sleeps, as a GPU's kernels
/// run off the CPU). Prints how busy the device was from its first batch to its last — the rest is time it waited for
/// the host — with one window at a time with the generator, or with the next window tokenized while the device runs.
/// </summary>
internal static class SimulatedDeviceBenchmark
{
    /// <summary>Runs it; the output is deleted unless <paramref name="keptOutputPath"/> says where to keep it.</summary>
    public static async Task RunAsync(string inputPath, double cellsPerSecond, int generatorCalls, int batchSize, string? keptOutputPath = null)
    {
        var source = ModelSource.Bundled();
        var tokenizer = new BertTokenizer(source.ReadVocabulary(), source.Settings.MaxSequenceLength);
        var device = new SimulatedDevice(cellsPerSecond, 384);
        using var generator = SentenceEmbeddingGenerator.ForEncoders(tokenizer, [device], new SentenceEmbeddingOptions { MaxBatchSize = batchSize });
        var output = keptOutputPath ?? Path.Combine(Path.GetTempPath(), $"duckembed-simulated-device-{Environment.ProcessId}.duckdb");
        var job = new EmbeddingJob
        {
            InputDatabasePath = inputPath,
            OutputDatabasePath = output,
            InputTable = "texts",
            IdColumn = "id",
            TextColumn = "text",
            OutputTable = "embedded",
            // As the CLI sets it: BATCH_SIZE × batches_per_window.
            WindowSize = batchSize * 32,
            GeneratorCalls = generatorCalls,
            Writers = int.TryParse(Environment.GetEnvironmentVariable("WRITERS"), out var writers) ? writers : EmbeddingJob.DefaultWriters,
            VectorPrecision = Environment.GetEnvironmentVariable("VECTOR_PRECISION") is { } precision
                ? VectorPrecisionNames.Parse(precision) ?? throw new ArgumentException($"no vector precision {precision}")
                : VectorPrecision.Float32,
        };
        var timer = Stopwatch.StartNew();
        var summary = await EmbeddingProcessor.ProcessAsync(job, generator, NullLogger.Instance);
        timer.Stop();
        if (keptOutputPath is null)
        {
            File.Delete(output);
            File.Delete(output + ".wal");
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"simulated-device generator_calls={generatorCalls} rows={summary.RowsWritten} batch={batchSize} device_cells_per_s={cellsPerSecond:F0} " +
            $"seconds={timer.Elapsed.TotalSeconds:F2} rows_per_s={summary.RowsWritten / timer.Elapsed.TotalSeconds:F0} " +
            $"tokens={summary.Tokens} tokens_per_s={summary.Tokens / timer.Elapsed.TotalSeconds:F0} " +
            $"device_busy_share={device.BusyShare:F3} device_rows_per_s_if_never_idle={summary.RowsWritten / device.BusySeconds:F0}"));
    }

    /// <summary>
    /// A device whose batch takes (rows × longest text) ÷ its rate, asleep. Its host part is the real one's: the ids
    /// and mask written, padded, into int64 buffers (<see cref="Prepare"/>), and the embeddings copied out — random unit
    /// vectors picked by a hash of each text's ids, so DuckDB writes (and cannot compress) what a real model's would be.
    /// </summary>
    private sealed class SimulatedDevice(double cellsPerSecond, int dimensions) : IBatchEncoder
    {
        public PreparedBatch Prepare(IReadOnlyList<EncodedText> batch)
        {
            var length = batch.Max(t => t.Ids.Length);
            var ids = new long[batch.Count * length];
            var mask = new long[batch.Count * length];
            for (var row = 0; row < batch.Count; row++)
            {
                var tokens = batch[row].Ids.Span;
                for (var t = 0; t < tokens.Length; t++)
                {
                    ids[row * length + t] = tokens[t];
                    mask[row * length + t] = 1;
                }
            }
            GC.KeepAlive(ids);
            GC.KeepAlive(mask);
            return new PreparedBatch(batch, null);
        }

        public void Run(PreparedBatch batch, Span<float> embeddings, CancellationToken cancellationToken) => RunOnDevice(batch.Texts, embeddings);

        public void Encode(IReadOnlyList<EncodedText> batch, Span<float> embeddings, CancellationToken cancellationToken)
        {
            using var prepared = Prepare(batch);
            Run(prepared, embeddings, cancellationToken);
        }

        private const int VectorCount = 4096;
        private readonly float[] _vectors = RandomUnitVectors(VectorCount, dimensions);
        private long _busyTicks;
        private long _firstStart = -1;
        private long _lastEnd;

        public int Dimensions => dimensions;

        public double BusySeconds => (double)_busyTicks / Stopwatch.Frequency;

        /// <summary>Time in batches ÷ time from the first batch's start to the last one's end.</summary>
        public double BusyShare => (double)_busyTicks / (_lastEnd - _firstStart);

        private void RunOnDevice(IReadOnlyList<EncodedText> batch, Span<float> embeddings)
        {
            var start = Stopwatch.GetTimestamp();
            if (_firstStart < 0)
            {
                _firstStart = start;
            }
            var longest = 0;
            foreach (var text in batch)
            {
                longest = Math.Max(longest, text.Ids.Length);
            }
            Thread.Sleep(TimeSpan.FromSeconds(batch.Count * longest / cellsPerSecond));
            for (var row = 0; row < batch.Count; row++)
            {
                var hash = 17;
                foreach (var id in batch[row].Ids.Span)
                {
                    hash = hash * 31 + id;
                }
                _vectors.AsSpan((int)((uint)hash % VectorCount) * dimensions, dimensions).CopyTo(embeddings.Slice(row * dimensions, dimensions));
            }
            _lastEnd = Stopwatch.GetTimestamp();
            _busyTicks += _lastEnd - start;
        }

        private static float[] RandomUnitVectors(int count, int dimensions)
        {
            var random = new Random(20261207);
            var vectors = new float[count * dimensions];
            for (var v = 0; v < count; v++)
            {
                var vector = vectors.AsSpan(v * dimensions, dimensions);
                for (var d = 0; d < dimensions; d++)
                {
                    vector[d] = (float)(random.NextDouble() * 2 - 1);
                }
                var norm = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(vector));
                System.Numerics.Tensors.TensorPrimitives.Divide(vector, norm, vector);
            }
            return vectors;
        }

        public void Dispose() { }
    }
}
