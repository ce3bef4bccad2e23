using System.Diagnostics;
using System.Globalization;
using DuckEmbed.Onnx;
using DuckEmbed.Processor;

namespace DuckEmbed.Bench;

/// <summary>
/// How much of float32's top 10 the quantized outputs find: <c>embed search</c>'s own path (the query embedded with the
/// bundled model, every row ranked in DuckDB) on a float32, an int8, a binary and a binary+int8 output of the same input, for
/// queries taken from the corpus — the first line of a package's long description, whose package summary is among
/// the texts searched. Prints the mean top-10 overlap with float32 and the median time of a search per precision.
/// </summary>
internal static class SearchQualityBenchmark
{
    private const int K = 10;

    public static async Task RunAsync(string corpusPath, int queryCount, string work)
    {
        var queries = Queries(corpusPath, queryCount);
        using var generator = SentenceEmbeddingGenerator.Create(ModelSource.Bundled(), new SentenceEmbeddingOptions { Device = ExecutionDevice.Cpu, Precision = ModelPrecision.Fp32 });
        EmbeddingJob Job(string precision) => new()
        {
            InputDatabasePath = Path.Combine(work, "short-63905-input.duckdb"),
            OutputDatabasePath = Path.Combine(work, $"quality-{precision}.duckdb"),
            InputTable = "texts",
            IdColumn = "id",
            TextColumn = "text",
            OutputTable = "texts_embedded",
        };
        var searches = new (string Name, EmbeddingJob Job, int Rescore)[]
        {
            ("float32", Job("float32"), 1),
            ("int8", Job("int8"), 1),
            // Binary candidates are ranked by their texts embedded again: rescoreMultiplier × k texts per search.
            ("binary, Hamming only", Job("binary"), 1),
            ("binary, rescored (4 × k)", Job("binary"), 4),
            ("binary, rescored (10 × k)", Job("binary"), 10),
            ("binary, rescored (40 × k)", Job("binary"), 40),
            ("binary+int8, rescored (4 × k)", Job("binary+int8"), 4),
            ("binary+int8, rescored (10 × k)", Job("binary+int8"), 10),
        };
        var results = searches.ToDictionary(s => s.Name, _ => new List<HashSet<string>>());
        var times = searches.ToDictionary(s => s.Name, _ => new List<double>());
        foreach (var query in queries)
        {
            foreach (var (name, job, rescore) in searches)
            {
                var timer = Stopwatch.StartNew();
                var hits = await EmbeddingSearch.SearchAsync(job, generator, query, K, rescore);
                times[name].Add(timer.Elapsed.TotalMilliseconds);
                results[name].Add([.. hits.Select(h => h.Id)]);
            }
        }
        Console.WriteLine($"{queries.Count} queries, top {K}, against float32 (exact cosine over every row)");
        foreach (var (name, _, _) in searches)
        {
            var overlap = results[name].Select((top, i) => top.Intersect(results["float32"][i]).Count() / (double)K).Average();
            var median = times[name].Order().ElementAt(times[name].Count / 2);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-31} overlap {overlap:F3}   median search {median,6:F1} ms (query embedded, every row ranked)"));
        }
    }

    // Every (n / count)-th package's first line of long description, at least 20 characters, as it reads.
    private static List<string> Queries(string corpusPath, int count)
    {
        var texts = RawOrtBenchmark.ReadTexts(corpusPath, int.MaxValue);
        var step = Math.Max(1, texts.Count / count);
        return [.. Enumerable.Range(0, count).Select(i => texts[(i * step + step / 2) % texts.Count])
            .Select(t => t.Split('\n').Skip(1).FirstOrDefault(line => line.Trim().Length >= 20)?.Trim() ?? t.Split('\n')[0])];
    }
}
