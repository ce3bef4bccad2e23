using System.Diagnostics;
using System.Globalization;
using DuckDB.NET.Data;
using DuckEmbed.Onnx;
using DuckEmbed.Onnx.Graph;
using DuckEmbed.Onnx.Graph.Proto;
using DuckEmbed.Onnx.Inference;
using DuckEmbed.Onnx.Tokenization;
using DuckEmbed.Processor;
using Microsoft.Extensions.Logging.Abstractions;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace DuckEmbed.Bench;

/// <summary>
/// The CPU side of a run with the model made nearly free: a lookup model (its only work is the Gather of the token
/// embeddings), inputs of corpus texts or their first lines at any size, and each stage of the pipeline timed alone.
/// </summary>
internal static class CpuSideBenchmark
{
    private const int Dimensions = 384;

    /// <summary>
    /// A model folder for <c>model_path</c>: MiniLM's inputs and output, whose only work is looking up each token's
    /// vector in a [vocabulary, 384] table of fixed pseudo-random values; the bundled model's vocab.txt.
    /// </summary>
    public static void WriteLookupModel(string folder)
    {
        Directory.CreateDirectory(folder);
        var vocabularyPath = Path.Combine(folder, "vocab.txt");
        using (var vocabulary = ModelSource.Bundled().OpenVocabulary())
        using (var file = File.Create(vocabularyPath))
        {
            vocabulary.CopyTo(file);
        }
        var vocabularySize = File.ReadLines(vocabularyPath).Count();
        var random = new Random(20261202);
        var table = new float[vocabularySize * Dimensions];
        for (var i = 0; i < table.Length; i++)
        {
            table[i] = (float)(random.NextDouble() * 2 - 1);
        }
        static ValueInfoProto Value(string name, TensorProto.Types.DataType type, params object[] dims)
        {
            var shape = new TensorShapeProto();
            foreach (var dim in dims)
            {
                shape.Dim.Add(dim is string symbol ? new TensorShapeProto.Types.Dimension { DimParam = symbol } : new TensorShapeProto.Types.Dimension { DimValue = (int)dim });
            }
            return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
        }
        var int64 = TensorProto.Types.DataType.Int64;
        var graph = new GraphProto
        {
            Name = "lookup",
            Input = { Value("input_ids", int64, "batch", "tokens"), Value("attention_mask", int64, "batch", "tokens"), Value("token_type_ids", int64, "batch", "tokens") },
            Output = { Value("last_hidden_state", TensorProto.Types.DataType.Float, "batch", "tokens", Dimensions) },
            Initializer = { TensorValues.FloatTensor("token_embeddings", table, [vocabularySize, Dimensions]) },
        };
        graph.Node.Add(new NodeProto { OpType = "Gather", Name = "lookup", Input = { "token_embeddings", "input_ids" }, Output = { "last_hidden_state" } });
        var model = new ModelProto { IrVersion = 8, Graph = graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 13 } } };
        File.WriteAllBytes(Path.Combine(folder, "model.onnx"), model.ToByteArray());
    }

    /// <summary>
    /// An input DuckDB of <paramref name="rows"/> distinct texts: the corpus texts (or their first lines) in order,
    /// each round after the first marked with its round number; ids a scattered permutation, not the row order.
    /// </summary>
    public static void MakeInput(string textsPath, int rows, bool firstLineOnly, string databasePath)
    {
        var texts = RawOrtBenchmark.ReadTexts(textsPath, int.MaxValue)
            .Select(t => firstLineOnly ? t.Split('\n', 2)[0] : t).ToList();
        BenchFiles.WriteInput(databasePath, Enumerable.Range(0, rows).Select(i =>
        {
            var round = i / texts.Count;
            var text = texts[i % texts.Count];
            // An odd multiplier is a bijection modulo 2^40: distinct ids, in no relation to the row order.
            return ((i * 0x9E3779B97L) & ((1L << 40) - 1), round == 0 ? text : $"{text} ({round})");
        }));
    }

    /// <summary>Each stage alone, one thread, on the input's texts: read, tokenize, model call, pool. Prints rows/s of each.</summary>
    public static void Stages(string inputPath, string modelFolder, int batchSize)
    {
        var timer = Stopwatch.StartNew();
        var texts = ReadAll(inputPath);
        var readSeconds = timer.Elapsed.TotalSeconds;
        Print("read", texts.Count, readSeconds, 0);

        var source = ModelSource.FromDirectory(modelFolder);
        var tokenizer = new BertTokenizer(source.ReadVocabulary(), 256);
        timer.Restart();
        var encoded = new EncodedText[texts.Count];
        for (var i = 0; i < texts.Count; i++)
        {
            encoded[i] = tokenizer.Encode(texts[i]);
        }
        var tokens = encoded.Sum(e => (long)e.Ids.Length);
        Print("tokenize", texts.Count, timer.Elapsed.TotalSeconds, tokens);
        // What tokenizing allocates per text as the generator does it: windows of 1,024 texts, each into a token
        // arena whose pooled chunks go back to the pool after the window (the ids above are kept for the next stages).
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (var start = 0; start < texts.Count; start += 1024)
        {
            using var arena = new TokenArena(tokenizer);
            var writer = new TokenArena.Writer();
            for (var i = start; i < Math.Min(texts.Count, start + 1024); i++)
            {
                arena.Encode(texts[i], writer);
            }
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cpu-stage-allocation stage=tokenize bytes_per_row={(double)allocated / texts.Count:F1} ids_bytes_per_row={(double)tokens * sizeof(int) / texts.Count:F1}"));

        var sorted = encoded.OrderBy(e => e.Ids.Length).ToArray();
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(source.ReadModel(), options);
        using var runOptions = new RunOptions();
        var pooling = new SentencePooling(PoolingMode.Mean);
        var vector = new float[Dimensions];
        double modelSeconds = 0, poolSeconds = 0;
        for (var start = 0; start < sorted.Length; start += batchSize)
        {
            var batch = sorted[start..Math.Min(sorted.Length, start + batchSize)];
            var length = batch.Max(e => e.Ids.Length);
            var ids = new long[batch.Length * length];
            var mask = new long[ids.Length];
            for (var row = 0; row < batch.Length; row++)
            {
                for (var t = 0; t < batch[row].Ids.Length; t++)
                {
                    ids[row * length + t] = batch[row].Ids.Span[t];
                    mask[row * length + t] = 1;
                }
            }
            long[] shape = [batch.Length, length];
            timer.Restart();
            using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
            using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
            using var typesValue = OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape);
            using var outputs = session.Run(runOptions, ["input_ids", "attention_mask", "token_type_ids"], [idsValue, maskValue, typesValue], ["last_hidden_state"]);
            modelSeconds += timer.Elapsed.TotalSeconds;
            timer.Restart();
            var hidden = outputs[0].GetTensorDataAsSpan<float>();
            for (var row = 0; row < batch.Length; row++)
            {
                pooling.PoolAndNormalize(hidden.Slice(row * length * Dimensions, length * Dimensions), batch[row].Ids.Length, Dimensions, vector);
            }
            poolSeconds += timer.Elapsed.TotalSeconds;
        }
        Print("model-call", texts.Count, modelSeconds, tokens);
        Print("pool", texts.Count, poolSeconds, tokens);
        RunAllocation(inputPath, modelFolder, batchSize, texts).GetAwaiter().GetResult();
    }

    /// <summary>
    /// What a whole run allocates per row (the processor with the ONNX generator on this model, into a new output),
    /// beside what the texts read from the input take themselves (a string per row, unavoidable): the rest is what
    /// the pipeline allocates per row on the way from the reader through the model to the appender.
    /// </summary>
    private static async Task RunAllocation(string inputPath, string modelFolder, int batchSize, List<string> texts)
    {
        var output = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(inputPath))!, $"allocation-{Guid.NewGuid():N}.duckdb");
        using var generator = SentenceEmbeddingGenerator.Create(ModelSource.FromDirectory(modelFolder),
            new SentenceEmbeddingOptions { Device = ExecutionDevice.Cpu, MaxBatchSize = batchSize });
        var job = new EmbeddingJob
        {
            InputDatabasePath = inputPath, OutputDatabasePath = output, InputTable = "texts", IdColumn = "id",
            TextColumn = "text", OutputTable = "embedded", WindowSize = batchSize * 32,
        };
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var summary = await EmbeddingProcessor.ProcessAsync(job, generator, NullLogger.Instance);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        File.Delete(output);
        // A string is its UTF-16 characters, a length and an object header (22 bytes on 64-bit, rounded up to 8).
        var textBytes = texts.Sum(t => (long)((22 + 2 * t.Length + 7) / 8 * 8));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cpu-stage-allocation stage=run rows={summary.RowsWritten} bytes_per_row={(double)allocated / summary.RowsWritten:F0} " +
            $"text_bytes_per_row={(double)textBytes / texts.Count:F0} other_bytes_per_row={(double)(allocated - textBytes) / summary.RowsWritten:F0} " +
            $"vector_bytes={Dimensions * sizeof(float)}"));
    }

    private static List<string> ReadAll(string inputPath)
    {
        using var connection = new DuckDBConnection($"Data Source={inputPath};ACCESS_MODE=READ_ONLY");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, text FROM texts";
        using var reader = command.ExecuteReader();
        var texts = new List<string>();
        while (reader.Read())
        {
            _ = reader.GetInt64(0);
            texts.Add(reader.GetString(1));
        }
        return texts;
    }

    private static void Print(string stage, int rows, double seconds, long tokens) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cpu-stage stage={stage} rows={rows} seconds={seconds:F2} rows_per_s={rows / seconds:F0} tokens_per_s={tokens / seconds:F0}"));
}
