// Writes tests/MLNet.Distillation.Tests/Fixtures/parquet/wine_arrow_rs.parquet: the 178 wine rows of wine.csv written by
// a Parquet writer that is not .NET — arrow-rs (Rust), through the parquet-wasm npm package — with Apache Arrow's
// default (nullable) columns, as pyarrow and Spark write them: Label (utf8), Features (list<float32>, 13 per row),
// FeaturesFixed (fixed_size_list<float32>[13], same values), Alcohol (float64), Row (int64), Quality (int32, row mod 5),
// Train (bool), in row groups of 64 rows. The test reads it with LoadFromParquet and trains a student from it.
// (python3-pyarrow is not packaged in Debian 12, so pyarrow itself could not write the fixture here.)
//
//   npm install --prefix /tmp/parquet-npm parquet-wasm@0.8.0 apache-arrow@21.2.0
//   NODE_PATH=/tmp/parquet-npm/node_modules node tools/make_parquet_fixture.cjs
const fs = require("fs");
const path = require("path");
const arrow = require("apache-arrow");
const parquet = require("parquet-wasm/node");

const repo = path.resolve(__dirname, "..");
const fixtures = path.join(repo, "tests", "MLNet.Distillation.Tests", "Fixtures");
const lines = fs.readFileSync(path.join(fixtures, "wine.csv"), "utf8").trim().split("\n").slice(1);
const rows = lines.map((line) => line.split(","));
const features = rows.map((r) => Float32Array.from(r.slice(1, 14).map(Number)));

const item = () => new arrow.Field("item", new arrow.Float32(), true);
const table = new arrow.Table({
  Label: arrow.vectorFromArray(rows.map((r) => r[0]), new arrow.Utf8()),
  Features: arrow.vectorFromArray(features.map((f) => Array.from(f)), new arrow.List(item())),
  FeaturesFixed: arrow.vectorFromArray(features.map((f) => Array.from(f)), new arrow.FixedSizeList(13, item())),
  Alcohol: arrow.vectorFromArray(features.map((f) => f[0]), new arrow.Float64()),
  Row: arrow.vectorFromArray(rows.map((_, i) => BigInt(i)), new arrow.Int64()),
  Quality: arrow.vectorFromArray(rows.map((_, i) => i % 5), new arrow.Int32()),
  Train: arrow.vectorFromArray(rows.map((r) => r[14] === "train"), new arrow.Bool()),
});
const properties = new parquet.WriterPropertiesBuilder()
  .setCompression(parquet.Compression.SNAPPY)
  .setMaxRowGroupSize(64)
  .build();
const bytes = parquet.writeParquet(parquet.Table.fromIPCStream(arrow.tableToIPC(table, "stream")), properties);
const out = path.join(fixtures, "parquet", "wine_arrow_rs.parquet");
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, bytes);
console.log(`wrote ${out}: ${table.numRows} rows, ${bytes.length} bytes`);
