"""The survey pages' own words, in every language the built-in survey speaks.

The survey may be answered in a language other than the interface's, so the words
around the questions ("Next", "page 3 of 8") follow the survey's language, not the
gettext catalogue.  English is the fallback for any other language.
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "page_of": {
        "en": "Page {number} of {total}",
        "fr": "Page {number} sur {total}",
        "es": "Página {number} de {total}",
        "pt": "Página {number} de {total}",
        "ar": "الصفحة {number} من {total}",
    },
    "progress": {
        "en": "Progress",
        "fr": "Progression",
        "es": "Progreso",
        "pt": "Progresso",
        "ar": "التقدّم",
    },
    "next": {"en": "Next", "fr": "Suivant", "es": "Siguiente", "pt": "Seguinte", "ar": "التالي"},
    "back": {"en": "Back", "fr": "Précédent", "es": "Anterior", "pt": "Anterior", "ar": "السابق"},
    "save_later": {
        "en": "Save and continue later",
        "fr": "Enregistrer et continuer plus tard",
        "es": "Guardar y continuar más tarde",
        "pt": "Guardar e continuar mais tarde",
        "ar": "احفظ وأكمل لاحقًا",
    },
    "to_review": {
        "en": "Review my answers",
        "fr": "Vérifier mes réponses",
        "es": "Revisar mis respuestas",
        "pt": "Rever as minhas respostas",
        "ar": "مراجعة إجاباتي",
    },
    "submit": {
        "en": "Submit my answers",
        "fr": "Envoyer mes réponses",
        "es": "Enviar mis respuestas",
        "pt": "Enviar as minhas respostas",
        "ar": "إرسال إجاباتي",
    },
    "change": {"en": "Change", "fr": "Modifier", "es": "Cambiar", "pt": "Alterar", "ar": "تعديل"},
    "add_another": {
        "en": "Add another",
        "fr": "En ajouter un autre",
        "es": "Añadir otro",
        "pt": "Adicionar outro",
        "ar": "إضافة آخر",
    },
    "remove": {"en": "Remove", "fr": "Retirer", "es": "Quitar", "pt": "Remover", "ar": "إزالة"},
    "entry": {
        "en": "{label} {number}",
        "fr": "{label} {number}",
        "es": "{label} {number}",
        "pt": "{label} {number}",
        "ar": "{label} {number}",
    },
    "other_specify": {
        "en": "If other, please specify",
        "fr": "Si autre, veuillez préciser",
        "es": "Si es otro, especifique",
        "pt": "Se outro, especifique",
        "ar": "إذا كان غير ذلك، يرجى التحديد",
    },
    "required": {
        "en": "required",
        "fr": "obligatoire",
        "es": "obligatorio",
        "pt": "obrigatório",
        "ar": "مطلوب",
    },
    "choose": {
        "en": "Choose…",
        "fr": "Choisir…",
        "es": "Elegir…",
        "pt": "Escolher…",
        "ar": "اختر…",
    },
    "errors_title": {
        "en": "Please correct the answers marked below.",
        "fr": "Veuillez corriger les réponses signalées ci-dessous.",
        "es": "Corrija las respuestas señaladas a continuación.",
        "pt": "Corrija as respostas assinaladas abaixo.",
        "ar": "يرجى تصحيح الإجابات المشار إليها أدناه.",
    },
    "saved": {
        "en": "Your answers are saved.",
        "fr": "Vos réponses sont enregistrées.",
        "es": "Sus respuestas están guardadas.",
        "pt": "As suas respostas estão guardadas.",
        "ar": "تم حفظ إجاباتك.",
    },
    "skill_n": {
        "en": "Skill {number}",
        "fr": "Compétence {number}",
        "es": "Competencia {number}",
        "pt": "Competência {number}",
        "ar": "المهارة {number}",
    },
    "skills_hint": {
        "en": "One skill per box. Suggestions appear as you type; save the page for more boxes.",
        "fr": "Une compétence par case. Des suggestions s’affichent pendant la saisie ; "
        "enregistrez la page pour obtenir plus de cases.",
        "es": "Una competencia por casilla. Aparecen sugerencias al escribir; guarde la página "
        "para tener más casillas.",
        "pt": "Uma competência por caixa. Surgem sugestões enquanto escreve; guarde a página "
        "para ter mais caixas.",
        "ar": "مهارة واحدة في كل خانة. تظهر اقتراحات أثناء الكتابة؛ احفظ الصفحة لإضافة خانات أخرى.",
    },
    "survey_language": {
        "en": "Survey language",
        "fr": "Langue de l’enquête",
        "es": "Idioma de la encuesta",
        "pt": "Língua do inquérito",
        "ar": "لغة الاستبيان",
    },
    "review_title": {
        "en": "Check your answers before submitting",
        "fr": "Vérifiez vos réponses avant l’envoi",
        "es": "Revise sus respuestas antes de enviarlas",
        "pt": "Verifique as suas respostas antes de enviar",
        "ar": "راجع إجاباتك قبل الإرسال",
    },
    "review_intro": {
        "en": "Your profile will be updated from these answers.",
        "fr": "Votre profil sera mis à jour à partir de ces réponses.",
        "es": "Su perfil se actualizará con estas respuestas.",
        "pt": "O seu perfil será atualizado com estas respostas.",
        "ar": "سيُحدَّث ملفك الشخصي بناءً على هذه الإجابات.",
    },
    "not_answered": {
        "en": "Not answered",
        "fr": "Sans réponse",
        "es": "Sin respuesta",
        "pt": "Sem resposta",
        "ar": "لا توجد إجابة",
    },
    "question": {
        "en": "Question",
        "fr": "Question",
        "es": "Pregunta",
        "pt": "Pergunta",
        "ar": "السؤال",
    },
    "answer": {
        "en": "Answer",
        "fr": "Réponse",
        "es": "Respuesta",
        "pt": "Resposta",
        "ar": "الإجابة",
    },
    "email_link": {
        "en": "Email me a link to continue on another device",
        "fr": "M’envoyer un lien pour continuer sur un autre appareil",
        "es": "Enviarme un enlace para continuar en otro dispositivo",
        "pt": "Enviar-me uma ligação para continuar noutro dispositivo",
        "ar": "أرسل إليّ رابطًا للمتابعة على جهاز آخر",
    },
    "link_sent": {
        "en": "We sent a link to {email}. Open it on any device and sign in to continue.",
        "fr": "Nous avons envoyé un lien à {email}. Ouvrez-le sur n’importe quel appareil et "
        "connectez-vous pour continuer.",
        "es": "Hemos enviado un enlace a {email}. Ábralo en cualquier dispositivo e inicie "
        "sesión para continuar.",
        "pt": "Enviámos uma ligação para {email}. Abra-a em qualquer dispositivo e inicie "
        "sessão para continuar.",
        "ar": "أرسلنا رابطًا إلى {email}. افتحه على أي جهاز وسجّل الدخول للمتابعة.",
    },
    "thanks_title": {
        "en": "Thank you",
        "fr": "Merci",
        "es": "Gracias",
        "pt": "Obrigado",
        "ar": "شكرًا لك",
    },
    "thanks": {
        "en": "Your answers are submitted and your profile was updated from them.",
        "fr": "Vos réponses sont envoyées et votre profil a été mis à jour.",
        "es": "Sus respuestas se han enviado y su perfil se ha actualizado.",
        "pt": "As suas respostas foram enviadas e o seu perfil foi atualizado.",
        "ar": "تم إرسال إجاباتك وتحديث ملفك الشخصي بناءً عليها.",
    },
    "see_profile": {
        "en": "See my profile",
        "fr": "Voir mon profil",
        "es": "Ver mi perfil",
        "pt": "Ver o meu perfil",
        "ar": "عرض ملفي الشخصي",
    },
    "see_answers": {
        "en": "See my answers",
        "fr": "Voir mes réponses",
        "es": "Ver mis respuestas",
        "pt": "Ver as minhas respostas",
        "ar": "عرض إجاباتي",
    },
    "suggestions": {
        "en": "Suggestions",
        "fr": "Suggestions",
        "es": "Sugerencias",
        "pt": "Sugestões",
        "ar": "اقتراحات",
    },
    # range
    "range_hint": {
        "en": "A number from {min} to {max}, in steps of {step}.",
        "fr": "Un nombre de {min} à {max}, par pas de {step}.",
        "es": "Un número de {min} a {max}, en pasos de {step}.",
        "pt": "Um número de {min} a {max}, em passos de {step}.",
        "ar": "رقم من {min} إلى {max}، بخطوات مقدارها {step}.",
    },
    "range_hint_any": {
        "en": "A number from {min} to {max}.",
        "fr": "Un nombre de {min} à {max}.",
        "es": "Un número de {min} a {max}.",
        "pt": "Um número de {min} a {max}.",
        "ar": "رقم من {min} إلى {max}.",
    },
    # rank
    "rank_hint": {
        "en": "Put the choices in order, the first one first. Each choice can be used once.",
        "fr": "Classez les choix par ordre, le premier en premier. Chaque choix ne peut "
        "servir qu’une fois.",
        "es": "Ordene las opciones, la primera en primer lugar. Cada opción solo puede usarse "
        "una vez.",
        "pt": "Ordene as opções, a primeira em primeiro lugar. Cada opção só pode ser usada "
        "uma vez.",
        "ar": "رتّب الخيارات، الأول أولًا. لا يمكن استخدام كل خيار إلا مرة واحدة.",
    },
    "rank_n": {
        "en": "Choice {number}",
        "fr": "Choix {number}",
        "es": "Opción {number}",
        "pt": "Escolha {number}",
        "ar": "الخيار {number}",
    },
    # geopoint
    "geo_latitude": {
        "en": "Latitude (−90 to 90)",
        "fr": "Latitude (−90 à 90)",
        "es": "Latitud (−90 a 90)",
        "pt": "Latitude (−90 a 90)",
        "ar": "خط العرض (من −90 إلى 90)",
    },
    "geo_longitude": {
        "en": "Longitude (−180 to 180)",
        "fr": "Longitude (−180 à 180)",
        "es": "Longitud (−180 a 180)",
        "pt": "Longitude (−180 a 180)",
        "ar": "خط الطول (من −180 إلى 180)",
    },
    "geo_altitude": {
        "en": "Altitude in metres",
        "fr": "Altitude en mètres",
        "es": "Altitud en metros",
        "pt": "Altitude em metros",
        "ar": "الارتفاع بالأمتار",
    },
    "geo_accuracy": {
        "en": "Accuracy in metres",
        "fr": "Précision en mètres",
        "es": "Precisión en metros",
        "pt": "Precisão em metros",
        "ar": "الدقة بالأمتار",
    },
    "optional": {
        "en": "optional",
        "fr": "facultatif",
        "es": "opcional",
        "pt": "opcional",
        "ar": "اختياري",
    },
    "geo_hint": {
        "en": "Decimal degrees, for example 5.6037 and −0.1870.",
        "fr": "En degrés décimaux, par exemple 5.6037 et −0.1870.",
        "es": "En grados decimales, por ejemplo 5.6037 y −0.1870.",
        "pt": "Em graus decimais, por exemplo 5.6037 e −0.1870.",
        "ar": "بالدرجات العشرية، مثل 5.6037 و −0.1870.",
    },
    "use_location": {
        "en": "Use my location",
        "fr": "Utiliser ma position",
        "es": "Usar mi ubicación",
        "pt": "Usar a minha localização",
        "ar": "استخدم موقعي",
    },
    "locating": {
        "en": "Finding your location…",
        "fr": "Recherche de votre position…",
        "es": "Buscando su ubicación…",
        "pt": "A procurar a sua localização…",
        "ar": "جارٍ تحديد موقعك…",
    },
    "location_failed": {
        "en": "Your location is not available; type the numbers instead.",
        "fr": "Votre position n’est pas disponible ; saisissez plutôt les nombres.",
        "es": "Su ubicación no está disponible; escriba los números.",
        "pt": "A sua localização não está disponível; escreva os números.",
        "ar": "موقعك غير متاح؛ اكتب الأرقام بدلًا من ذلك.",
    },
    "location_found": {
        "en": "Location filled in.",
        "fr": "Position renseignée.",
        "es": "Ubicación completada.",
        "pt": "Localização preenchida.",
        "ar": "تم ملء الموقع.",
    },
    # files
    "file_limit": {
        "en": "One file, up to {size}.",
        "fr": "Un fichier, jusqu’à {size}.",
        "es": "Un archivo, de hasta {size}.",
        "pt": "Um ficheiro, até {size}.",
        "ar": "ملف واحد، بحجم أقصاه {size}.",
    },
    "current_file": {
        "en": "Current file:",
        "fr": "Fichier actuel :",
        "es": "Archivo actual:",
        "pt": "Ficheiro atual:",
        "ar": "الملف الحالي:",
    },
    "choose_file": {
        "en": "Choose a file",
        "fr": "Choisir un fichier",
        "es": "Elegir un archivo",
        "pt": "Escolher um ficheiro",
        "ar": "اختر ملفًا",
    },
    "replace_file": {
        "en": "Replace it with another file",
        "fr": "Le remplacer par un autre fichier",
        "es": "Sustituirlo por otro archivo",
        "pt": "Substituí-lo por outro ficheiro",
        "ar": "استبداله بملف آخر",
    },
    "remove_file": {
        "en": "Remove this file",
        "fr": "Retirer ce fichier",
        "es": "Quitar este archivo",
        "pt": "Remover este ficheiro",
        "ar": "إزالة هذا الملف",
    },
}

# "1st choice", "2nd choice"... as each language writes them, up to this many places.
RANK_PLACES = 30
_AR_ORDINALS = (
    "الأول",
    "الثاني",
    "الثالث",
    "الرابع",
    "الخامس",
    "السادس",
    "السابع",
    "الثامن",
    "التاسع",
    "العاشر",
)


def rank_place(number: int, language: str) -> str:
    """The label of a rank's `number`th place: "1st choice", "1er choix", "1.ª opción"..."""
    if language == "fr":
        return f"{number}{'er' if number == 1 else 'e'} choix"
    if language == "es":
        return f"{number}.ª opción"
    if language == "pt":
        return f"{number}.ª escolha"
    if language == "ar":
        if number <= len(_AR_ORDINALS):
            return f"الخيار {_AR_ORDINALS[number - 1]}"
        return f"الخيار رقم {number}"
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix} choice"


def texts(language: str) -> dict[str, str]:
    """Every survey-page text in `language`, English where a translation is missing."""
    out = {key: values.get(language) or values["en"] for key, values in TEXTS.items()}
    # Other languages get English ordinals, like every other text they lack.
    known = language if language in ("en", "fr", "es", "pt", "ar") else "en"
    out.update(
        {f"rank_{number}": rank_place(number, known) for number in range(1, RANK_PLACES + 1)}
    )
    return out
