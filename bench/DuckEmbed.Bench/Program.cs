using System.Globalization;
using DuckEmbed.Bench;

// Usage:
//   processor ROWS [BATCH_SIZE]           the processor alone with a zero-cost generator
//   raw-ort TEXTS_JSONL N BATCH [sorted|unsorted]   tokenizer + ONNX Runtime only, the inference ceiling
var mode = args.Length > 0 ? args[0] : "";
switch (mode)
{
    case "processor":
        await ProcessorBenchmark.RunAsync(int.Parse(args[1], CultureInfo.InvariantCulture),
            args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 256, Path.Combine(Path.GetTempPath(), "duckembed-bench"));
        break;
    default:
        Console.Error.WriteLine("usage: DuckEmbed.Bench processor ROWS [BATCH_SIZE]");
        return 2;
}
return 0;
