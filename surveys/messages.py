"""Default validation messages in the platform's languages (en, fr, es, pt, ar).

A form's own constraint_message/required_message wins; these are the fallbacks.
`{field}` is the question's label in the respondent's language, `{value}` the answer.
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "required": {
        "en": "{field}: an answer is required.",
        "fr": "{field} : une réponse est obligatoire.",
        "es": "{field}: se requiere una respuesta.",
        "pt": "{field}: é obrigatório responder.",
        "ar": "{field}: الإجابة مطلوبة.",
    },
    "constraint": {
        "en": "{field}: the answer “{value}” is not accepted.",
        "fr": "{field} : la réponse « {value} » n’est pas acceptée.",
        "es": "{field}: la respuesta «{value}» no es válida.",
        "pt": "{field}: a resposta “{value}” não é aceite.",
        "ar": "{field}: الإجابة «{value}» غير مقبولة.",
    },
    "integer": {
        "en": "{field}: expected a whole number, got “{value}”.",
        "fr": "{field} : un nombre entier est attendu, reçu « {value} ».",
        "es": "{field}: se esperaba un número entero, se recibió «{value}».",
        "pt": "{field}: esperava-se um número inteiro, recebido “{value}”.",
        "ar": "{field}: يُتوقع عدد صحيح، وتم تلقي «{value}».",
    },
    "decimal": {
        "en": "{field}: expected a number, got “{value}”.",
        "fr": "{field} : un nombre est attendu, reçu « {value} ».",
        "es": "{field}: se esperaba un número, se recibió «{value}».",
        "pt": "{field}: esperava-se um número, recebido “{value}”.",
        "ar": "{field}: يُتوقع رقم، وتم تلقي «{value}».",
    },
    "date": {
        "en": "{field}: expected a date (YYYY-MM-DD), got “{value}”.",
        "fr": "{field} : une date (AAAA-MM-JJ) est attendue, reçu « {value} ».",
        "es": "{field}: se esperaba una fecha (AAAA-MM-DD), se recibió «{value}».",
        "pt": "{field}: esperava-se uma data (AAAA-MM-DD), recebido “{value}”.",
        "ar": "{field}: يُتوقع تاريخ (YYYY-MM-DD)، وتم تلقي «{value}».",
    },
    "time": {
        "en": "{field}: expected a time (HH:MM), got “{value}”.",
        "fr": "{field} : une heure (HH:MM) est attendue, reçu « {value} ».",
        "es": "{field}: se esperaba una hora (HH:MM), se recibió «{value}».",
        "pt": "{field}: esperava-se uma hora (HH:MM), recebido “{value}”.",
        "ar": "{field}: يُتوقع وقت (HH:MM)، وتم تلقي «{value}».",
    },
    "datetime": {
        "en": "{field}: expected a date and time (YYYY-MM-DDTHH:MM), got “{value}”.",
        "fr": "{field} : une date et heure (AAAA-MM-JJTHH:MM) est attendue, reçu « {value} ».",
        "es": "{field}: se esperaba fecha y hora (AAAA-MM-DDTHH:MM), se recibió «{value}».",
        "pt": "{field}: esperava-se data e hora (AAAA-MM-DDTHH:MM), recebido “{value}”.",
        "ar": "{field}: يُتوقع تاريخ ووقت (YYYY-MM-DDTHH:MM)، وتم تلقي «{value}».",
    },
    "text": {
        "en": "{field}: expected text of at most {limit} characters.",
        "fr": "{field} : un texte d’au plus {limit} caractères est attendu.",
        "es": "{field}: se esperaba un texto de {limit} caracteres como máximo.",
        "pt": "{field}: esperava-se um texto com no máximo {limit} caracteres.",
        "ar": "{field}: يُتوقع نص لا يتجاوز {limit} حرفًا.",
    },
    "choice": {
        "en": "{field}: “{value}” is not one of the choices offered.",
        "fr": "{field} : « {value} » ne fait pas partie des choix proposés.",
        "es": "{field}: «{value}» no es una de las opciones ofrecidas.",
        "pt": "{field}: “{value}” não é uma das opções oferecidas.",
        "ar": "{field}: «{value}» ليس من الخيارات المتاحة.",
    },
    "geopoint": {
        "en": "{field}: expected a location “latitude longitude” (latitude −90 to 90, "
        "longitude −180 to 180), got “{value}”.",
        "fr": "{field} : une position « latitude longitude » est attendue (latitude de −90 à 90, "
        "longitude de −180 à 180), reçu « {value} ».",
        "es": "{field}: se esperaba una ubicación «latitud longitud» (latitud −90 a 90, "
        "longitud −180 a 180), se recibió «{value}».",
        "pt": "{field}: esperava-se uma localização “latitude longitude” (latitude −90 a 90, "
        "longitude −180 a 180), recebido “{value}”.",
        "ar": "{field}: يُتوقع موقع «خط العرض خط الطول» (خط العرض من −90 إلى 90، "
        "خط الطول من −180 إلى 180)، وتم تلقي «{value}».",
    },
    "range": {
        "en": "{field}: “{value}” is outside the allowed range or step.",
        "fr": "{field} : « {value} » est hors de la plage ou du pas autorisés.",
        "es": "{field}: «{value}» está fuera del rango o del paso permitidos.",
        "pt": "{field}: “{value}” está fora do intervalo ou do passo permitidos.",
        "ar": "{field}: «{value}» خارج النطاق أو الخطوة المسموح بها.",
    },
    "rank": {
        "en": "{field}: each choice can be ranked only once, got “{value}”.",
        "fr": "{field} : chaque choix ne peut être classé qu’une fois, reçu « {value} ».",
        "es": "{field}: cada opción solo puede clasificarse una vez, se recibió «{value}».",
        "pt": "{field}: cada opção só pode ser ordenada uma vez, recebido “{value}”.",
        "ar": "{field}: لا يمكن ترتيب كل خيار إلا مرة واحدة، وتم تلقي «{value}».",
    },
    "acknowledge": {
        "en": "{field}: expected “OK” or no answer, got “{value}”.",
        "fr": "{field} : « OK » ou aucune réponse est attendu, reçu « {value} ».",
        "es": "{field}: se esperaba «OK» o ninguna respuesta, se recibió «{value}».",
        "pt": "{field}: esperava-se “OK” ou nenhuma resposta, recebido “{value}”.",
        "ar": "{field}: يُتوقع «OK» أو لا إجابة، وتم تلقي «{value}».",
    },
    "country": {
        "en": "{field}: expected a country (ISO 3166 two-letter code), got “{value}”.",
        "fr": "{field} : un pays (code ISO 3166 à deux lettres) est attendu, reçu « {value} ».",
        "es": "{field}: se esperaba un país (código ISO 3166 de dos letras), se recibió «{value}».",
        "pt": "{field}: esperava-se um país (código ISO 3166 de duas letras), recebido “{value}”.",
        "ar": "{field}: يُتوقع بلد (رمز ISO 3166 من حرفين)، وتم تلقي «{value}».",
    },
    "language": {
        "en": "{field}: expected a language (ISO 639 code), got “{value}”.",
        "fr": "{field} : une langue (code ISO 639) est attendue, reçu « {value} ».",
        "es": "{field}: se esperaba un idioma (código ISO 639), se recibió «{value}».",
        "pt": "{field}: esperava-se uma língua (código ISO 639), recebido “{value}”.",
        "ar": "{field}: يُتوقع لغة (رمز ISO 639)، وتم تلقي «{value}».",
    },
    "list": {
        "en": "{field}: expected a list of entries.",
        "fr": "{field} : une liste d’éléments est attendue.",
        "es": "{field}: se esperaba una lista de elementos.",
        "pt": "{field}: esperava-se uma lista de entradas.",
        "ar": "{field}: يُتوقع قائمة من العناصر.",
    },
    "repeat_count": {
        "en": "{field}: expected at most {limit} entries, got {value}.",
        "fr": "{field} : au plus {limit} éléments sont attendus, reçu {value}.",
        "es": "{field}: se esperaban como máximo {limit} elementos, se recibieron {value}.",
        "pt": "{field}: esperavam-se no máximo {limit} entradas, recebidas {value}.",
        "ar": "{field}: يُتوقع {limit} عناصر على الأكثر، وتم تلقي {value}.",
    },
    "not_relevant": {
        "en": "{field}: this question does not apply given the other answers; leave it empty.",
        "fr": "{field} : cette question ne s’applique pas compte tenu des autres réponses ; laissez-la vide.",
        "es": "{field}: esta pregunta no corresponde según las demás respuestas; déjela vacía.",
        "pt": "{field}: esta pergunta não se aplica face às outras respostas; deixe-a em branco.",
        "ar": "{field}: هذا السؤال لا ينطبق بناءً على الإجابات الأخرى؛ اتركه فارغًا.",
    },
    "unknown": {
        "en": "{field}: not a question of this survey.",
        "fr": "{field} : ce n’est pas une question de ce questionnaire.",
        "es": "{field}: no es una pregunta de esta encuesta.",
        "pt": "{field}: não é uma pergunta deste inquérito.",
        "ar": "{field}: ليس سؤالًا في هذا الاستبيان.",
    },
    "read_only": {
        "en": "{field}: this answer cannot be changed.",
        "fr": "{field} : cette réponse ne peut pas être modifiée.",
        "es": "{field}: esta respuesta no se puede modificar.",
        "pt": "{field}: esta resposta não pode ser alterada.",
        "ar": "{field}: لا يمكن تغيير هذه الإجابة.",
    },
}

SUPPORTED = ("en", "fr", "es", "pt", "ar")


def message(key: str, language: str | None, **values: object) -> str:
    """The default message `key` in `language` (English when not translated)."""
    templates = MESSAGES[key]
    base = (language or "en").split("-")[0].split("_")[0].lower()
    return templates.get(base, templates["en"]).format(**values)
