#:package DuckDB.NET.Data.Full@1.5.6.1
#:property ManagePackageVersionsCentrally=false
// Writes example/input.duckdb: the first N texts of the shared Debian corpus as table source_texts
// (document_id BIGINT, content VARCHAR). Usage: dotnet run example/make-example.cs -- CORPUS.jsonl.xz OUT.duckdb [N]
using System.Diagnostics;
using DuckDB.NET.Data;

var (corpus, output, rows) = (args[0], args[1], args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 2000);
var jsonl = Path.Combine(Path.GetTempPath(), $"corpus-{Environment.ProcessId}.jsonl");
using (var xz = Process.Start(new ProcessStartInfo("xz", ["-dc", corpus]) { RedirectStandardOutput = true })!)
using (var file = File.Create(jsonl))
{
    xz.StandardOutput.BaseStream.CopyTo(file);
    xz.WaitForExit();
}
File.Delete(output);
using var connection = new DuckDBConnection($"Data Source={output}");
connection.Open();
using var command = connection.CreateCommand();
command.CommandText = $$"""
    CREATE TABLE source_texts AS
    SELECT id::BIGINT AS document_id, text AS content
    FROM read_json('{{jsonl.Replace("'", "''")}}', format = 'newline_delimited', columns = {id: 'BIGINT', package: 'VARCHAR', text: 'VARCHAR'})
    ORDER BY id LIMIT {{rows}}
    """;
command.ExecuteNonQuery();
File.Delete(jsonl);
Console.WriteLine($"{output}: {rows} rows");
