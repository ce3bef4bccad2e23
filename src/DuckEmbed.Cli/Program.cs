using System.CommandLine;
using DuckEmbed.Cli;

var configOption = new Option<string>("--config", "-c")
{
    Description = "Path to config.json; relative paths inside it resolve against its folder.",
    DefaultValueFactory = _ => "config.json",
};
var verboseOption = new Option<bool>("--verbose", "-v") { Description = "Log every window, and print stack traces of errors." };
var root = new RootCommand("Embeds the texts of a DuckDB table with a sentence-transformer and writes them to a new DuckDB file. BATCH_SIZE (environment) sets rows per inference batch.")
{
    configOption,
    verboseOption,
};
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0 || parsed.Action is not null && parsed.CommandResult.Command == root && args.Any(a => a is "-h" or "--help" or "-?" or "--version"))
{
    return parsed.Invoke();
}
return await EmbedCommand.RunAsync(parsed.GetValue(configOption)!, parsed.GetValue(verboseOption), Environment.GetEnvironmentVariable,
    Console.Out, Console.Error);
