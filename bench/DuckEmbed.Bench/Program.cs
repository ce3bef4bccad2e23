using System.Globalization;
using DuckEmbed.Bench;
using DuckEmbed.Processor;

// Usage:
//   processor ROWS [BATCH_SIZE] [VECTORS_JSONL] [array|list] [PRECISION]   the processor alone with a zero-cost generator that hands out
//                                         real embeddings (default ../shared/reference/reference.jsonl)
//   raw-ort TEXTS_JSONL N BATCH sorted|input THREADS   tokenizer + ONNX Runtime only, the inference ceiling
//   resume ROWS [VECTORS_JSONL]           what resuming costs: a run stopped 1 % before the end, then the resume
//   search ROWS [VECTORS_JSONL]           embed search on ROWS rows, the model aside (three searches)
//   shards ROWS N [VECTORS_JSONL]         the processor as N shards one after another, then the merge
//   duckdb-floor ROWS [VECTORS_JSONL]     the same write in DuckDB SQL alone (after processor ROWS made the input)
//   append-probe ROWS CHECKPOINT_THRESHOLD [VECTORS_JSONL]   the output's appends and commits alone
//   ctas DB TABLE                         the yardstick: DuckDB's own CREATE TABLE … AS SELECT of TABLE into a new file
//   export-model PATH                     the bundled model.onnx, for peers
//   make-input TEXTS_JSONL N DB           an input DuckDB: texts(id, text)
//   simulated-device INPUT_DB CELLS_PER_S GENERATOR_CALLS BATCH [KEPT_OUTPUT_DB]   the host's side around a simulated GPU (no CPU): its busy share (env WRITERS, VECTOR_PRECISION)
//   search-quality CORPUS_JSONL QUERIES WORK   top-10 overlap of int8 and binary outputs (WORK/quality-*.duckdb) with float32's
//   check NAME REFERENCE_JSONL OUT        lowest cosine to the reference (OUT: JSONL or a DuckEmbed output .duckdb)
//   sql DB STATEMENT…                     the statements on DB (read-write), timed together: inputs changed for bench/sync.sh, its scan
var mode = args.Length > 0 ? args[0] : "";
// The real embeddings the output-side benchmarks write: the argument at ARGUMENT, or the reference set's.
List<float[]> Vectors(int argument) =>
    BenchFiles.ReadEmbeddings(args.Length > argument ? args[argument] : Path.Combine("..", "shared", "reference", "reference.jsonl"));
switch (mode)
{
    case "processor":
        await ProcessorBenchmark.RunAsync(int.Parse(args[1], CultureInfo.InvariantCulture),
            args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 256,
            Vectors(3),
            args.Length > 4 && args[4] == "list" ? VectorColumnType.List : VectorColumnType.Array,
            Path.Combine(Path.GetTempPath(), "duckembed-bench"),
            args.Length > 5 ? VectorPrecisionNames.Parse(args[5]) ?? throw new ArgumentException($"no precision {args[5]}") : VectorPrecision.Float32);
        break;
    case "resume":
        await ProcessorBenchmark.RunResumeAsync(int.Parse(args[1], CultureInfo.InvariantCulture), Vectors(2),
            Path.Combine(Path.GetTempPath(), "duckembed-bench"));
        break;
    case "search":
        await ProcessorBenchmark.RunSearchAsync(int.Parse(args[1], CultureInfo.InvariantCulture), Vectors(2),
            Path.Combine(Path.GetTempPath(), "duckembed-bench"));
        break;
    case "shards":
        await ProcessorBenchmark.RunShardsAsync(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture),
            Vectors(3), Path.Combine(Path.GetTempPath(), "duckembed-bench"));
        break;
    case "raw-ort":
        RawOrtBenchmark.Run(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture),
            args[4] == "sorted", int.Parse(args[5], CultureInfo.InvariantCulture));
        break;
    case "duckdb-floor":
        ProcessorBenchmark.RunDuckDbFloor(int.Parse(args[1], CultureInfo.InvariantCulture),
            Vectors(2),
            Path.Combine(Path.GetTempPath(), "duckembed-bench"));
        break;
    case "append-probe":
        AppendProbe.Run(int.Parse(args[1], CultureInfo.InvariantCulture), args[2],
            Vectors(3),
            Path.Combine(Path.GetTempPath(), "duckembed-bench"));
        break;
    case "ctas":
        Console.WriteLine($"ctas seconds={ProcessorBenchmark.CtasSeconds(Path.GetFullPath(args[1]), args[2], Path.GetDirectoryName(Path.GetFullPath(args[1]))!):F2}");
        break;
    case "export-model":
        BenchFiles.ExportModel(args[1]);
        break;
    case "make-input":
        BenchFiles.MakeInput(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), args[3]);
        break;
    case "lookup-model":
        CpuSideBenchmark.WriteLookupModel(args[1]);
        break;
    case "make-cpu-input":
        CpuSideBenchmark.MakeInput(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), args[3] == "short", args[4]);
        break;
    case "cpu-stages":
        CpuSideBenchmark.Stages(args[1], args[2], int.Parse(args[3], CultureInfo.InvariantCulture));
        break;
    case "simulated-device":
        await SimulatedDeviceBenchmark.RunAsync(args[1], double.Parse(args[2], CultureInfo.InvariantCulture),
            int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture), args.Length > 5 ? Path.GetFullPath(args[5]) : null);
        break;
    case "search-quality":
        await SearchQualityBenchmark.RunAsync(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), args[3]);
        break;
    case "sql":
        Console.WriteLine($"sql seconds={BenchFiles.Execute(args[1], args[2..]):F2}");
        break;
    case "check":
        BenchFiles.Check(args[1], args[2], args[3]);
        break;
    default:
        Console.Error.WriteLine("usage: DuckEmbed.Bench processor ROWS [BATCH_SIZE] | raw-ort TEXTS_JSONL N BATCH sorted|input THREADS");
        return 2;
}
return 0;
