using DuckDB.NET.Data;
using DuckEmbed.Onnx;
using DuckEmbed.Processor.Tests;
using DuckEmbed.Tests;

namespace DuckEmbed.Cli.Tests;

/// <summary>The real <c>embed</c> program, the bundled model and real texts, in separate processes.</summary>
public sealed class EndToEndTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>An input table of the reference texts, <paramref name="copies"/> times over with new ids.</summary>
    private string WriteConfig(int copies, int batchesPerWindow = 8)
    {
        var input = _folder.File("input.duckdb");
        using (var connection = new DuckDBConnection($"Data Source={input}"))
        {
            connection.Open();
            using (var command = connection.CreateCommand())
            {
                command.CommandText = "CREATE TABLE texts (doc_id INTEGER, content VARCHAR)";
                command.ExecuteNonQuery();
            }
            using var appender = connection.CreateAppender("texts");
            for (var copy = 0; copy < copies; copy++)
            {
                foreach (var row in ReferenceRow.All)
                {
                    // As bytes: DuckDB.NET ends a string parameter at a NUL, and one reference text holds one.
                    appender.CreateRow().AppendValue(row.Id + copy * 1000).AppendValue(System.Text.Encoding.UTF8.GetBytes(row.Text)).EndRow();
                }
            }
        }
        var config = _folder.File("config.json");
        File.WriteAllText(config, $$"""
            { "input_db_path": "input.duckdb", "output_db_path": "output.duckdb", "input_table": "texts",
              "id_column": "doc_id", "text_column": "content", "output_table": "embedded", "batches_per_window": {{batchesPerWindow}},
              "commit_seconds": 1 }
            """);
        return config;
    }

    private string Output => _folder.File("output.duckdb");

    /// <summary>Every reference row exactly once per copy, each vector unit-length and equal to the reference.</summary>
    private void AssertOutputMatchesReference(int copies)
    {
        var rows = TestDatabase.Query(Output, "SELECT doc_id, content, vector FROM embedded");
        Assert.Equal(ReferenceRow.All.Count * copies, rows.Count);
        Assert.Equal(rows.Count, rows.Select(r => r[0]).Distinct().Count());
        var reference = ReferenceRow.All.ToDictionary(r => r.Id);
        var lowest = 1.0;
        foreach (var row in rows)
        {
            var expected = reference[(int)row[0]! % 1000];
            Assert.Equal(expected.Text, row[1]);
            var vector = ((List<float>)row[2]!).ToArray();
            Assert.Equal(384, vector.Length);
            Assert.Equal(1.0, VectorMath.Norm(vector), 4);
            lowest = Math.Min(lowest, VectorMath.Cosine(vector, expected.Embedding));
        }
        Assert.True(lowest >= 0.9999, $"lowest cosine to the reference {lowest:F7}");
    }

    [Fact]
    public async Task Embeds_every_row_once_with_the_vector_the_model_gives_for_that_text_alone()
    {
        var config = WriteConfig(copies: 1);

        var (exitCode, stdout, stderr) = CliProcess.Run(config, new Dictionary<string, string> { ["BATCH_SIZE"] = "16" });

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("BATCH_SIZE=16", stdout, StringComparison.Ordinal);
        Assert.Contains("Processed 400 / 400 records (100.0 %)", stdout, StringComparison.Ordinal);
        Assert.Contains("Done: 400 rows written", stdout, StringComparison.Ordinal);
        AssertOutputMatchesReference(copies: 1);

        using var generator = SentenceEmbeddingGenerator.Create(ModelSource.Bundled(), new SentenceEmbeddingOptions());
        foreach (var row in TestDatabase.Query(Output, "SELECT content, vector FROM embedded USING SAMPLE 40 ROWS"))
        {
            var alone = await generator.GenerateAsync([(string)row[0]!]);
            Assert.True(VectorMath.Cosine(((List<float>)row[1]!).ToArray(), alone[0].Vector.Span) >= 0.9999);
        }
    }

    [Fact]
    public void A_run_killed_hard_twice_resumes_and_every_row_is_there_exactly_once()
    {
        var config = WriteConfig(copies: 2, batchesPerWindow: 2);
        var environment = new Dictionary<string, string> { ["BATCH_SIZE"] = "8" };
        var random = new Random(20261125);
        for (var kill = 0; kill < 2; kill++)
        {
            using var cli = new CliProcess(config, environment);
            cli.WaitForOutput("Processed ", 1, TimeSpan.FromMinutes(2));
            // The first windows are committed a second after they are written (commit_seconds).
            Thread.Sleep(random.Next(1200, 2500));
            cli.KillHard();
        }
        var partial = TestDatabase.CountRows(Output, "embedded");
        Assert.InRange(partial, 16, 799);

        var (exitCode, stdout, stderr) = CliProcess.Run(config, environment);

        Assert.True(exitCode == 0, stderr);
        Assert.Contains($"already present       {partial:N0}", stdout, StringComparison.Ordinal);
        AssertOutputMatchesReference(copies: 2);
    }

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public void A_signal_stops_at_a_committed_boundary_and_says_how_to_resume(string signal, int expectedExitCode)
    {
        // Enough rows that the run is still going when the signal arrives, even when the test machine is so busy
        // that this test sees the first progress line late.
        var config = WriteConfig(copies: 6, batchesPerWindow: 2);
        using var cli = new CliProcess(config, new Dictionary<string, string> { ["BATCH_SIZE"] = "8" });
        cli.WaitForOutput("Processed ", 1, TimeSpan.FromMinutes(2));

        cli.Signal(signal);
        var exitCode = cli.WaitForExit(TimeSpan.FromMinutes(1));

        Assert.Equal(expectedExitCode, exitCode);
        Assert.Contains("Run the same command again to resume", cli.Stderr, StringComparison.Ordinal);
        var committed = TestDatabase.CountRows(Output, "embedded");
        Assert.Equal(0, committed % 16);
        Assert.Contains($"Stopped: {committed:N0} of 2,400 rows are committed", cli.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("verify")]
    [InlineData("search")]
    public void Sigterm_stops_a_command_while_its_model_converts(string command)
    {
        // int8's calibration takes seconds, with no cache: the command is still preparing its model when the signal comes.
        var config = WriteConfig(copies: 1);
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"embedded\"", "\"embedded\", \"precision\": \"int8\", \"model_cache\": \"cache\"", StringComparison.Ordinal));
        using var cli = CliProcess.Start(config, command == "search" ? ["search", "ssh server"] : ["verify"]);
        Thread.Sleep(1500);
        Assert.False(cli.HasExited, cli.Stderr);

        cli.Signal("TERM");
        var exitCode = cli.WaitForExit(TimeSpan.FromSeconds(30));

        Assert.True(exitCode == 143, $"exit {exitCode}: {cli.Stderr}");
        Assert.DoesNotContain("error:", cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Ctrl_c_stops_the_batch_size_benchmark_and_deletes_its_scratch_database()
    {
        var config = WriteConfig(copies: 6);
        var temp = Directory.CreateDirectory(_folder.File("tmp")).FullName;
        using var cli = CliProcess.Benchmark(config, new Dictionary<string, string> { ["TMPDIR"] = temp }, "--sizes", "8", "16", "--rows", "2400");
        cli.WaitForOutput("BATCH_SIZE       rows", 1, TimeSpan.FromMinutes(2));

        cli.Signal("INT");
        var exitCode = cli.WaitForExit(TimeSpan.FromMinutes(1));

        Assert.Equal(130, exitCode);
        Assert.Contains("Stopped; the scratch database is deleted.", cli.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(temp, "duckembed-benchmark-*"));
    }

    [Fact]
    public void A_bad_setting_is_one_line_on_stderr_with_exit_code_1_and_no_stack_trace()
    {
        var config = WriteConfig(copies: 1);
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"texts\"", "\"txts\"", StringComparison.Ordinal));

        var (exitCode, _, stderr) = CliProcess.Run(config);

        Assert.Equal(1, exitCode);
        Assert.Equal("error: input_table: 'txts' is not a table of the input database; did you mean 'texts'?", stderr.Trim());
        Assert.False(File.Exists(Output));
    }

    [Fact]
    public void Search_finds_a_stored_text_first_with_a_score_of_one_and_verify_passes_until_a_row_is_lost()
    {
        var config = WriteConfig(copies: 1);
        Assert.Equal(0, CliProcess.Run(config, new Dictionary<string, string> { ["BATCH_SIZE"] = "32" }).ExitCode);
        Assert.Equal($"FLOAT[384]", TestDatabase.Query(Output, "SELECT data_type FROM information_schema.columns WHERE column_name = 'vector'")[0][0]);
        var stored = ReferenceRow.All.First(r => r.Text.Length > 40 && !r.Text.Contains('\0', StringComparison.Ordinal));

        var (searchExit, hits, searchErrors) = CliProcess.RunCommand(config, "search", stored.Text, "-k", "3", "--json");

        Assert.True(searchExit == 0, searchErrors);
        using (var json = System.Text.Json.JsonDocument.Parse(hits))
        {
            var first = json.RootElement[0];
            Assert.Equal(stored.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), first.GetProperty("id").GetString());
            Assert.True(first.GetProperty("score").GetDouble() >= 0.9999, hits);
            Assert.Equal(3, json.RootElement.GetArrayLength());
        }

        var (verifyExit, report, _) = CliProcess.RunCommand(config, "verify", "--sample", "16");
        Assert.True(verifyExit == 0, report);
        Assert.Contains("OK: every input row is there once", report, StringComparison.Ordinal);

        TestDatabase.Execute(Output, $"DELETE FROM embedded WHERE doc_id = {stored.Id}");
        var (brokenExit, broken, _) = CliProcess.RunCommand(config, "verify", "--sample", "16");
        Assert.Equal(1, brokenExit);
        Assert.Contains("problem: 1 input ids are not in embedded", broken, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("int8", "TINYINT[384]")]
    [InlineData("binary", "UBIGINT[6]")]
    [InlineData("binary+int8", "UBIGINT[6]")]
    public void A_quantized_output_holds_the_codes_of_the_reference_vectors_and_searches_and_verifies(string precision, string columnType)
    {
        var config = WriteConfig(copies: 1);
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"output_table\": \"embedded\"", $"\"output_table\": \"embedded\", \"vector_precision\": \"{precision}\"", StringComparison.Ordinal));
        var (exit, output, errors) = CliProcess.Run(config, new Dictionary<string, string> { ["BATCH_SIZE"] = "32" });
        Assert.True(exit == 0, output + errors);
        Assert.Equal(columnType, TestDatabase.Query(Output, "SELECT data_type FROM information_schema.columns WHERE column_name = 'vector'")[0][0]);

        // The codes are those of sentence-transformers' definition applied to the Hugging Face reference vectors (with
        // the ranges the run kept): equal but where a float a few ulps away from the reference crosses a boundary.
        var record = TestDatabase.Query(Output, "SELECT key, value FROM duckembed_metadata").ToDictionary(r => (string)r[0]!, r => (string)r[1]!);
        Assert.Equal(precision, record["vector_precision"]);
        var reference = ReferenceRow.All.ToDictionary(r => r.Id);
        var stored = TestDatabase.Query(Output, precision switch
        {
            "int8" => "SELECT doc_id, NULL, vector::BIGINT[] FROM embedded",
            "binary" => "SELECT doc_id, vector, NULL FROM embedded",
            _ => "SELECT doc_id, vector, vector_int8::BIGINT[] FROM embedded",
        });
        Assert.Equal(ReferenceRow.All.Count, stored.Count);
        var (codes, boundary) = (0, 0);
        foreach (var row in stored)
        {
            var v = reference[(int)row[0]!].Embedding;
            foreach (var (d, int8) in Enumerable.Range(0, v.Length).SelectMany(d => new[] { (d, false), (d, true) }))
            {
                if (row[int8 ? 2 : 1] is null)
                {
                    continue;
                }
                long expected, actual;
                bool onBoundary;
                if (int8)
                {
                    var minimum = float.Parse(record["int8_range_min"].Split(',')[d], System.Globalization.CultureInfo.InvariantCulture);
                    var maximum = float.Parse(record["int8_range_max"].Split(',')[d], System.Globalization.CultureInfo.InvariantCulture);
                    var scaled = (v[d] - minimum) / ((maximum - minimum) / 255f) - 128f;
                    expected = (long)Math.Clamp(MathF.Truncate(scaled), -128, 127);
                    actual = ((List<long>)row[2]!)[d];
                    onBoundary = Math.Abs(scaled - MathF.Round(scaled)) < 0.01;
                }
                else
                {
                    expected = v[d] > 0 ? 1 : 0;
                    actual = (long)(((List<ulong>)row[1]!)[d / 64] >> (63 - (d % 64)) & 1);
                    onBoundary = Math.Abs(v[d]) < 1e-4;
                }
                codes++;
                if (expected != actual)
                {
                    Assert.True(onBoundary, $"row {row[0]}, dimension {d}: {actual}, not {expected}");
                    boundary++;
                }
            }
        }
        Assert.True(boundary <= codes / 10_000, $"{boundary} of {codes} codes differ on a boundary");

        var text = ReferenceRow.All.First(r => r.Text.Length > 40 && !r.Text.Contains('\0', StringComparison.Ordinal));
        var (searchExit, hits, searchErrors) = CliProcess.RunCommand(config, "search", text.Text, "-k", "3", "--json");
        Assert.True(searchExit == 0, searchErrors);
        using (var json = System.Text.Json.JsonDocument.Parse(hits))
        {
            Assert.Equal(text.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), json.RootElement[0].GetProperty("id").GetString());
        }
        var (verifyExit, report, verifyErrors) = CliProcess.RunCommand(config, "verify", "--sample", "64");
        Assert.True(verifyExit == 0, report + verifyErrors);
        Assert.Contains($"64 of 400 rows embedded again give the stored {precision} codes", report, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_passes_an_int8_output_whose_sample_moves_with_its_batch_but_stays_within_int8s_floor()
    {
        // int8 scales each batch's activations by that batch's range: the sample, embedded again in a batch of its
        // own, comes back a little different from what was stored (0.9886 for one of 64 rows, seen), within the
        // 0.96 that two vectors each within int8's 0.99 of fp32 can be apart.
        var config = WriteConfig(copies: 1);
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"output_table\": \"embedded\"", "\"output_table\": \"embedded\", \"precision\": \"int8\"", StringComparison.Ordinal));
        var (exit, output, errors) = CliProcess.Run(config, new Dictionary<string, string> { ["BATCH_SIZE"] = "32" });
        Assert.True(exit == 0, output + errors);

        var (verifyExit, report, verifyErrors) = CliProcess.RunCommand(config, "verify", "--sample", "64");

        Assert.True(verifyExit == 0, report + verifyErrors);
        Assert.Contains("(at least 0.96 for int8)", report, StringComparison.Ordinal);
        Assert.Contains("OK: every input row is there once", report, StringComparison.Ordinal);
    }

    [Fact]
    public void Three_shards_from_the_engines_index_variable_merge_into_the_same_vectors_as_one_run()
    {
        var config = WriteConfig(copies: 1);
        for (var shard = 0; shard < 3; shard++)
        {
            var (shardExit, shardOut, shardErr) = CliProcess.Run(config, new Dictionary<string, string> { ["SLURM_ARRAY_TASK_ID"] = $"{shard}" }, "--shards", "3");
            Assert.True(shardExit == 0, shardOut + shardErr);
            Assert.Contains($"Shard {shard} of 3 (index from SLURM_ARRAY_TASK_ID)", shardOut + shardErr, StringComparison.Ordinal);
        }
        var (statusExit, status, _) = CliProcess.RunCommand(config, "status", "--shards", "3");
        Assert.Equal(0, statusExit);
        Assert.Contains("3 of 3 shards done — ready to merge", status, StringComparison.Ordinal);

        var (mergeExit, merged, mergeErr) = CliProcess.RunCommand(config, "merge", "--shards", "3");

        Assert.True(mergeExit == 0, merged + mergeErr);
        Assert.Contains("Merged 3 shards: 400 rows", merged, StringComparison.Ordinal);
        AssertOutputMatchesReference(copies: 1);
    }
}
