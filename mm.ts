import { randn, matmul, matmulNaive, setNumThreads, softmax, softmaxNaive, shutdownThreads } from "./packages/tensor/src/index.js";
function time(f: () => void, reps = 7) { for (let w=0;w<3;w++) f(); let best=1e9; for (let r=0;r<reps;r++){const t=performance.now(); f(); best=Math.min(best,performance.now()-t);} return best; }
for (const [M,K,N] of [[64,64,64],[128,128,128],[256,256,256],[512,512,512],[2048,128,384]]) {
  const a = randn([M,K]), b = randn([K,N]);
  setNumThreads(1); const t1 = time(() => matmul(a,b));
  setNumThreads(2); const t2 = time(() => matmul(a,b));
  const d = matmul(a,b); setNumThreads(1); const e = matmul(a,b);
  let same = true; for (let i=0;i<d.size;i++) if (d.data[i]!==e.data[i]) same=false;
  const f = 2*M*K*N/1e6;
  console.log(M,K,N, "1T", (f/t1).toFixed(2), "2T", (f/t2).toFixed(2), "identical", same);
}
for (const [R,C] of [[4096,256],[256,4096],[1024,1024],[64,4096]]) {
  const x = randn([R,C]);
  setNumThreads(1); const t1 = time(() => softmax(x));
  setNumThreads(2); const t2 = time(() => softmax(x));
  const y = softmax(x), r = softmaxNaive(x.to("float64"));
  let md = 0; for (let i=0;i<y.size;i++) md = Math.max(md, Math.abs(y.data[i]!-r.data[i]!)/r.data[i]!);
  console.log("softmax", R, C, "1T ns/el", (t1*1e6/(R*C)).toFixed(2), "2T", (t2*1e6/(R*C)).toFixed(2), "maxrel", md.toExponential(2));
}
await shutdownThreads();
