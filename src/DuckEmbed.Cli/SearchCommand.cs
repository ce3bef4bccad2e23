using System.Text.Json;
using DuckEmbed.Onnx;
using DuckEmbed.Processor;

namespace DuckEmbed.Cli;

/// <summary><c>embed search "text"</c>: the output rows closest to a text, with the model that made them.</summary>
internal static class SearchCommand
{
    private const int ShownCharacters = 80;

    /// <summary>Most rows <c>-k</c> may ask for: a page a person reads, or a script's candidate list.</summary>
    internal const int MaxCount = 10_000;
    private const string QueryPrompt = "query";

    /// <summary>Most <c>--rescore-multiplier</c>: beyond it the bit search keeps most of a small table anyway.</summary>
    internal const int MaxRescoreMultiplier = 1000;

    public static Task<int> RunAsync(string configPath, string query, int count, bool json, int rescoreMultiplier, CommandContext context) =>
        CommandRunner.RunAsync(context, async (logging, stop) =>
        {
            if (count is < 1 or > MaxCount)
            {
                throw new CliUsageException($"-k must be a number of rows from 1 to {MaxCount:N0}, not {count}.");
            }
            if (rescoreMultiplier is < 1 or > MaxRescoreMultiplier)
            {
                throw new CliUsageException($"--rescore-multiplier must be from 1 to {MaxRescoreMultiplier}, not {rescoreMultiplier}.");
            }
            var settings = RunSettings.Load(configPath, context.Environment);
            // Queries get the model's query prompt where it has one, as sentence-transformers' retrieval models
            // expect (the stored texts got the config's prompt, or none).
            var source = CliServices.OpenModel(settings);
            var queryPrompt = source.Prompts.ContainsKey(QueryPrompt) ? QueryPrompt : settings.Prompt;
            using var generator = CliServices.CreateEmbedder(settings, settings.BatchSize, logging, queryPrompt, source, stop);
            // The prompt is what may differ between the stored texts and the query; everything else must not.
            var job = settings.Job with
            {
                GeneratorSettings = generator.Settings.Where(s => !s.Key.StartsWith(SentenceEmbeddingGenerator.PromptSetting, StringComparison.Ordinal))
                    .ToDictionary(s => s.Key, s => s.Value),
            };
            var timer = System.Diagnostics.Stopwatch.StartNew();
            var hits = await EmbeddingSearch.SearchAsync(job, generator, query, count, rescoreMultiplier, stop);
            if (json)
            {
                context.Out.WriteLine(JsonSerializer.Serialize(hits.Select(h => new { rank = h.Rank, id = h.Id, score = h.Score, text = h.Text })));
                return ExitCodes.Ok;
            }
            foreach (var hit in hits)
            {
                var text = Printable(hit.Text);
                context.Out.WriteLine($"{hit.Rank,3}  {hit.Score:F4}  {hit.Id}  {(text.Length > ShownCharacters ? text[..ShownCharacters] + "…" : text)}");
            }
            context.Error.WriteLine($"{hits.Count} rows in {timer.Elapsed.TotalSeconds:F2} s (query embedded, every row ranked)");
            return ExitCodes.Ok;
        }, minimum: Microsoft.Extensions.Logging.LogLevel.Warning);

    /// <summary>
    /// A stored text as one line a terminal shows as it is: line breaks become spaces, and other control characters
    /// (an ANSI escape would recolour or move the cursor of the user's terminal) become U+FFFD.
    /// </summary>
    internal static string Printable(string text) => string.Create(text.Length, text, (span, source) =>
    {
        for (var i = 0; i < source.Length; i++)
        {
            var c = source[i];
            span[i] = c is '\r' or '\n' or '\t' ? ' ' : char.IsControl(c) ? '\uFFFD' : c;
        }
    });
}
