// "Did you mean …?" for flags, keys and kinds: @tortie/api's closest valid
// name (edit distance with transpositions), the same rule every Tortie
// configuration surface uses.
export { closest } from "@tortie/api";
