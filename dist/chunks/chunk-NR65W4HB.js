import { createRequire as __avdCreateRequire } from 'node:module'; const require = __avdCreateRequire(import.meta.url);
import{m as r}from"./chunk-LCJ7FBQE.js";function n(e){let t=e;return t&&typeof t.getToken=="function"&&(t.signRequest===void 0||t.getToken.length>0)}function o(e){return r(e,["key"])&&typeof e.key=="string"}export{o as a,n as b};
