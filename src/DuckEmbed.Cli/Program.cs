using System.CommandLine;
using System.Runtime.InteropServices;
using DuckEmbed.Cli;

// A write past the shell's file-size limit (ulimit -f) would kill the process with SIGXFSZ mid-write; ignored, it
// fails as an I/O error that the cache and the output writer report in one line (and keep every committed row).
const int SigXfsz = 25;
using var fileSizeLimit = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create((PosixSignal)SigXfsz, context => context.Cancel = true);

var configOption = new Option<string>("--config", "-c")
{
    Description = "Path to config.json; relative paths inside it resolve against its folder.",
    DefaultValueFactory = _ => "config.json",
};
// Every command takes it (recursive): debug logging and an error's stack trace.
var verboseOption = new Option<bool>("--verbose", "-v") { Description = "Log every window, and print stack traces of errors.", Recursive = true };
var overwriteOption = new Option<bool>("--overwrite") { Description = "Replace an existing output table instead of resuming it." };
var dryRunOption = new Option<bool>("--dry-run") { Description = "Check everything and say what the run would do, how long it would take (from a sample embedded here) and the disk it needs; write nothing." };
var shardsOption = new Option<int?>("--shards")
{
    Description = "Split the job into this many shards, each embedded into its own file beside output_db_path (then: embed merge).",
    CustomParser = WholeNumberParser.Optional,
};
var shardOption = new Option<int?>("--shard")
{
    Description = "This process's shard, from 0 (or SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX).",
    CustomParser = WholeNumberParser.Optional,
};
var mergeShardsOption = new Option<int>("--shards") { Description = "How many shards the job was split into.", Required = true, CustomParser = WholeNumberParser.One };
var sizesOption = new Option<int[]>("--sizes")
{
    Description = "Batch sizes to try.",
    DefaultValueFactory = _ => [8, 16, 32, 64, 128, 256],
    AllowMultipleArgumentsPerToken = true,
    CustomParser = WholeNumberParser.Many,
};
var rowsOption = new Option<int>("--rows") { Description = "Rows of the input each batch size embeds.", DefaultValueFactory = _ => 1024, CustomParser = WholeNumberParser.One };

var plotOption = new Option<string>("--plot") { Description = "Where to draw rows/s and peak memory against the batch size (PNG); \"\" for none.", DefaultValueFactory = _ => "check_benchmark.png" };

var exitCode = 0;
var benchmark = new Command("benchmark", "Measures rows/s for several batch sizes on a sample of the input (or the bundled example), recommends a BATCH_SIZE and draws it (check_benchmark.png). Writes nothing else but a scratch database.")
{
    configOption, sizesOption, rowsOption, plotOption,
};
benchmark.SetAction(async (parsed, _) => exitCode = await BenchmarkCommand.RunAsync(parsed.GetValue(configOption)!,
    parsed.GetValue(sizesOption)!, parsed.GetValue(rowsOption), parsed.GetValue(plotOption), CommandContext.Of(parsed.GetValue(verboseOption))));

var sampleOption = new Option<int>("--sample") { Description = "Rows re-embedded and compared with what is stored.", DefaultValueFactory = _ => 32, CustomParser = WholeNumberParser.One };
var verify = new Command("verify", "Checks the output: every input id exactly once, no other ids, texts, dimensions, unit length, provenance, and a re-embedded sample. Exit 0 only when all hold.")
{
    configOption, sampleOption,
};
verify.SetAction(async (parsed, _) => exitCode = await VerifyCommand.RunAsync(parsed.GetValue(configOption)!, parsed.GetValue(sampleOption),
    CommandContext.Of(parsed.GetValue(verboseOption))));

var queryArgument = new Argument<string>("text") { Description = "The text to look for." };
var countOption = new Option<int>("-k") { Description = "How many rows to show.", DefaultValueFactory = _ => 10, CustomParser = WholeNumberParser.One };
var jsonOption = new Option<bool>("--json") { Description = "Print the rows as JSON." };
var rescoreOption = new Option<int>("--rescore-multiplier")
{
    Description = "Binary outputs: rows kept by the bit search for rescoring, as a multiple of -k (binary alone: their texts are embedded again).",
    DefaultValueFactory = _ => DuckEmbed.Processor.EmbeddingSearch.DefaultRescoreMultiplier,
    CustomParser = WholeNumberParser.One,
};
var search = new Command("search", "Shows the output rows closest to a text (cosine similarity), embedding it with the model that made them.")
{
    queryArgument, configOption, countOption, jsonOption, rescoreOption,
};
search.SetAction(async (parsed, _) => exitCode = await SearchCommand.RunAsync(parsed.GetValue(configOption)!, parsed.GetValue(queryArgument)!,
    parsed.GetValue(countOption), parsed.GetValue(jsonOption), parsed.GetValue(rescoreOption), CommandContext.Of(parsed.GetValue(verboseOption))));

var mergeOverwriteOption = new Option<bool>("--overwrite") { Description = "Replace an output table that is there already instead of refusing it." };
var mergeSyncOption = new Option<bool>("--sync") { Description = "The shards were synced with a changed input (embed sync --shards N): bring the merged table made before up to date, in the same transaction." };
var merge = new Command("merge", "Puts the shard files of a job run with --shards N together into output_db_path, after checking every shard is there and complete, in one transaction. Safe to run again.")
{
    configOption, mergeShardsOption, mergeOverwriteOption, mergeSyncOption,
};
merge.SetAction((parsed, _) =>
{
    exitCode = ShardsCommand.Merge(parsed.GetValue(configOption)!, parsed.GetValue(mergeShardsOption),
        (parsed.GetValue(mergeOverwriteOption), parsed.GetValue(mergeSyncOption)), CommandContext.Of(parsed.GetValue(verboseOption)));
    return Task.CompletedTask;
});
var statusShardsOption = new Option<int?>("--shards") { Description = "For a job run with --shards N: rows done per shard.", CustomParser = WholeNumberParser.Optional };
var status = new Command("status", "Rows done and left, what made them and when the output was last written; with --shards N, per shard.")
{
    configOption, statusShardsOption,
};
status.SetAction((parsed, _) =>
{
    exitCode = ShardsCommand.Status(parsed.GetValue(configOption)!, parsed.GetValue(statusShardsOption), CommandContext.Of(parsed.GetValue(verboseOption)));
    return Task.CompletedTask;
});

var keepDeletedOption = new Option<bool>("--keep-deleted") { Description = "Move the rows of ids gone from the input into <output_table>_deleted (with deleted_at) instead of dropping them." };
var sync = new Command("sync", "Brings an output up to date with an input that changed: new ids embedded, changed texts embedded again (each new row replacing its old one in the same commit), ids gone deleted, every other row left as it is. Stops and resumes as a run does.")
{
    configOption, dryRunOption, shardsOption, shardOption, keepDeletedOption,
};
sync.SetAction(async (parsed, _) => exitCode = await EmbedCommand.RunAsync(
    new EmbedCommand.Request(parsed.GetValue(configOption)!, Shards: parsed.GetValue(shardsOption), ShardIndex: parsed.GetValue(shardOption), DryRun: parsed.GetValue(dryRunOption), Sync: true,
        KeepDeleted: parsed.GetValue(keepDeletedOption)),
    CommandContext.Of(parsed.GetValue(verboseOption)), LiveProgressWanted()));

var root = new RootCommand("Embeds the texts of a DuckDB table with a sentence-transformer and writes them to a new DuckDB file. BATCH_SIZE (environment) sets rows per inference batch.")
{
    configOption, verboseOption, overwriteOption, dryRunOption, shardsOption, shardOption, sync, benchmark, verify, search, merge, status,
};
root.SetAction(async (parsed, _) => exitCode = await EmbedCommand.RunAsync(
    new EmbedCommand.Request(parsed.GetValue(configOption)!, parsed.GetValue(overwriteOption), parsed.GetValue(shardsOption), parsed.GetValue(shardOption), parsed.GetValue(dryRunOption)),
    CommandContext.Of(parsed.GetValue(verboseOption)), LiveProgressWanted()));

var parseResult = root.Parse(args);
// A mistyped flag is one line on stderr, as every other mistake is, not the whole help.
if (parseResult.Errors.Count > 0)
{
    Console.Error.WriteLine($"error: {parseResult.Errors[0].Message} (embed --help lists the commands and flags.)");
    return ExitCodes.UserError;
}
// The commands handle Ctrl-C and SIGTERM themselves, to stop at a committed window; System.CommandLine's own
// handling would end the process after a timeout, possibly mid-commit.
var invoked = await parseResult.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
return invoked != 0 ? invoked : exitCode;

// A live line on a terminal; plain lines into a pipe or a file, or when DUCKEMBED_PLAIN=1 asks for them.
static bool LiveProgressWanted() => !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("DUCKEMBED_PLAIN") != "1";
